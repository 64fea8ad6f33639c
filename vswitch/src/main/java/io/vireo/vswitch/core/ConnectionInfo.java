package io.vireo.vswitch.core;

/**
 * A tracked connection of a router, as the API shows it.
 *
 * @param protocol         {@code tcp}, {@code udp}, {@code icmp} or the protocol number.
 * @param original         the first packet's {@code source:port -> destination:port}.
 * @param reply            the replies' {@code source:port -> destination:port}, translations applied.
 * @param state            as conntrack names it ({@code ESTABLISHED}, {@code SYN_SENT}, ...).
 * @param expiresInSeconds until its timeout passes, unless more packets come.
 */
public record ConnectionInfo(String protocol, String original, String reply, String state, long expiresInSeconds)
{
}
