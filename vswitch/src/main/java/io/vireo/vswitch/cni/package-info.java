/**
 * {@code vireo-cni}, the CNI plugin (spec 1.1.0): a container runtime runs it with {@code CNI_*} variables and
 * a network config on stdin; it attaches the container to a Vireo bridge through the daemon's control socket
 * as a TAP port, named {@code CNI_IFNAME} inside the container's namespace, with addresses from a delegated
 * IPAM plugin such as {@code host-local}, or from the cluster's address blocks ({@code "ipam": {"type": "vireo"}}).
 * <pre>
 *  runtime ──env + stdin──▶ VireoCni ──▶ Attachment ──HTTP/JSON──▶ vireod (vireo.sock): POST/GET/DELETE /v1/ports
 *                                          │                       (and /v1/registry for the config's services)
 *                                          │  ├─▶ DelegatedIpam ──exec──▶ CNI_PATH/host-local
 *                                          │  └─▶ ClusterIpam ──HTTP/JSON──▶ vireod: /v1/networks/{bridge}/addresses
 *                                          └─▶ ContainerNetns ──rtnetlink──▶ rename, addresses, routes
 * </pre>
 * Error codes follow the spec: 1 incompatible version, 2 unsupported field, 3 no such namespace, 4 invalid
 * environment, 5 stdin unreadable, 6 undecodable input, 7 invalid config (a bridge the daemon lacks, an IPAM
 * plugin not in CNI_PATH, a value the daemon refuses), 11 daemon unreachable, 999 anything the switch, the
 * kernel or the IPAM plugin refused (an IPAM plugin's own code is passed on).
 */
package io.vireo.vswitch.cni;
