package io.vireo.vswitch.core;

/**
 * A router's DNS server, as users set it: it answers on port 53 of its IPv4 addresses, over UDP and TCP,
 * for {@code NAME.<domain>}: A and SRV records of its services (the service's virtual address and port),
 * and A and SRV records of the registry's live instances of services it has none of that name for (each
 * instance's address, and {@code A-B-C-D.NAME.<domain>} as the SRV target of instance A.B.C.D).
 *
 * @param enabled  whether it answers at all; default true.
 * @param domain   the domain it answers for with authority; default {@code svc.vireo}.
 * @param ttl      the TTL of its records in seconds; default 5.
 * @param upstream {@code IP[:PORT]} (port 53 unless given) of a resolver that names outside the domain go to,
 *                 UDP queries that ask for recursion, from the daemon's own network; null: they are refused.
 */
public record DnsSpec(Boolean enabled, String domain, Integer ttl, String upstream)
{
    /** A router's DNS server unless told otherwise. */
    public static final DnsSpec DEFAULT = new DnsSpec(true, "svc.vireo", 5, null);
}
