package io.vireo.gateway.service;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Where a router's health probes meet their answers. The control plane sends a backend a TCP SYN from
 * the router's address and port {@link #FIRST_PORT} + the backend's {@link BackendStats} slot, with a
 * sequence number it records here ({@link #sent}); a forwarding thread that sees a SYN/ACK or a reset
 * acknowledging that number come back to that port records the answer ({@link #answer}), and the control
 * plane reads it ({@link #result}): a SYN/ACK says something listens, a reset that nothing does. Ports from {@link #FIRST_PORT} on lie above the ones masquerade
 * takes, so a probe's answer is never taken for a connection's.
 */
public final class HealthProbes
{
    /** The source port of the probes of backend slot 0; slot N probes from FIRST_PORT + N. */
    public static final int FIRST_PORT = 61_000;

    private static final int FLAG_SYN = 0x02;
    private static final int FLAG_RST = 0x04;
    private static final int FLAG_ACK = 0x10;

    /** {@link #result}: no answer (yet). */
    public static final int NONE = 0;
    /** {@link #result}: a SYN/ACK, the backend listens. */
    public static final int ACCEPTED = 1;
    /** {@link #result}: a reset, nothing listens on the port. */
    public static final int REFUSED = 2;

    private final AtomicIntegerArray expected = new AtomicIntegerArray(BackendStats.MAX_BACKENDS);
    private final AtomicIntegerArray accepted = new AtomicIntegerArray(BackendStats.MAX_BACKENDS);
    private final AtomicIntegerArray refused = new AtomicIntegerArray(BackendStats.MAX_BACKENDS);

    /** The source port a backend's probes leave from. */
    public static int port(final int slot)
    {
        return FIRST_PORT + slot;
    }

    /** A probe of the backend in {@code slot} leaves with this sequence number. Control plane. */
    public void sent(final int slot, final int sequence)
    {
        accepted.set(slot, sequence - 1);
        refused.set(slot, sequence - 1);
        expected.set(slot, sequence);
    }

    /**
     * How the probe sent with this sequence number was answered. Control plane.
     *
     * @return {@link #NONE}, {@link #ACCEPTED} or {@link #REFUSED}.
     */
    public int result(final int slot, final int sequence)
    {
        return accepted.get(slot) == sequence ? ACCEPTED : refused.get(slot) == sequence ? REFUSED : NONE;
    }

    /**
     * A TCP segment to one of the router's addresses: records it if it answers a probe. Forwarding path.
     *
     * @param destinationPort its destination port.
     * @param flags           its flags byte.
     * @param acknowledgment  its acknowledgment number.
     * @return true if it answers the last probe of a backend: the router takes it (and resets a SYN/ACK).
     */
    public boolean answer(final int destinationPort, final int flags, final int acknowledgment)
    {
        final int slot = destinationPort - FIRST_PORT;
        if (slot < 0 || slot >= BackendStats.MAX_BACKENDS || 0 == (flags & FLAG_ACK) ||
            0 == (flags & (FLAG_SYN | FLAG_RST)))
        {
            return false;
        }
        final int sequence = expected.get(slot);
        if (acknowledgment != sequence + 1)
        {
            return false;
        }
        (0 != (flags & FLAG_RST) ? refused : accepted).set(slot, sequence);
        return true;
    }
}
