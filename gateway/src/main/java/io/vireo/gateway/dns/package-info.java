/**
 * The DNS a router answers on its gateway addresses, for the services of its domain: the record set
 * the control plane publishes ({@link io.vireo.gateway.dns.DnsRecords}, A, AAAA and SRV records under
 * a domain such as {@code svc.vireo}) and the responder a forwarding thread turns a query message into
 * its response with, in place and without allocating ({@link io.vireo.gateway.dns.DnsResponder}).
 * UDP and TCP framing, IP headers and the forwarding of other names are the caller's.
 */
package io.vireo.gateway.dns;
