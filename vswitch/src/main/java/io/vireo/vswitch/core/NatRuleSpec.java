package io.vireo.vswitch.core;

/**
 * A router's address translation rule, as users write it (API, CLI, config file).
 *
 * @param id       assigned by the switch; null in a request.
 * @param type     {@code masquerade} or {@code publish}.
 * @param out      masquerade: the bridge of the interface connections leave by.
 * @param from     masquerade: only sources in this IPv4 prefix (default: any).
 * @param protocol publish: {@code tcp} or {@code udp}.
 * @param port     publish: the port published on the router's address.
 * @param to       publish: {@code IP:PORT} the connections go to.
 * @param on       publish: only on the router's address on this bridge (default: all its addresses).
 * @param owner    who made the rule, such as {@code cni:vc0123456789ab} or {@code docker:ENDPOINT}, so that it
 *                 can take its own rules back; null for an operator's rule.
 */
public record NatRuleSpec(Integer id, String type, String out, String from, String protocol, Integer port, String to, String on,
    String owner)
{
    /** The same rule under another id. */
    public NatRuleSpec withId(final Integer newId)
    {
        return new NatRuleSpec(newId, type, out, from, protocol, port, to, on, owner);
    }
}
