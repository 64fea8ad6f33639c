package io.vireo.dataplane.vhost;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.vireo.dataplane.nativeio.UnixSocket;

/**
 * A vhost-user port's device state and descriptors as one process hands the port to another that takes its
 * place ({@code vireod --takeover}), so that the frontend goes on with the same connection, memory and rings and
 * notices nothing: {@link VhostUserPort#handOver} makes one, {@link VhostUserPort#resume} takes one. What a
 * frontend said and the new process cannot ask again moves: the features it accepted, its memory table (each
 * region's guest address, size, user address and mmap offset, and its descriptor, which the new process maps the
 * same way), and per queue its size, ring addresses, where the device got to (the next available entry, which is
 * also the used index published: see {@link Virtqueue}), whether it was kicked and enabled, and its call eventfd.
 * The kick eventfd is not kept by the port (rings are polled), and dirty-page logging is not offered, so neither
 * moves.
 * <p>
 * As text ({@link #state}, one word) and descriptors ({@link #fds}): the listening socket first (a server port),
 * then the connection (when a frontend is connected), the regions' descriptors in order, then the call eventfd of
 * each queue that has one.
 */
public final class VhostUserHandover implements AutoCloseable
{
    static final int ADDRESSED = 1;
    static final int KICKED = 2;
    static final int ENABLED = 4;
    static final int HAS_CALL = 8;
    /** A queue as text: size, descriptor table, available ring, used ring, flags, next available entry. */
    static final int QUEUE_FIELDS = 6;

    final boolean listening;
    final boolean connected;
    final long features;
    final long[][] regions;
    final long[][] queues;
    private final int[] fds;
    private boolean taken;

    VhostUserHandover(final boolean listening, final boolean connected, final long features, final long[][] regions,
        final long[][] queues, final int[] fds)
    {
        this.listening = listening;
        this.connected = connected;
        this.features = features;
        this.regions = regions;
        this.queues = queues;
        this.fds = fds;
    }

    /**
     * The handover {@link #state} and {@link #fds} describe; it owns the descriptors (closes them unless a port
     * takes them).
     *
     * @throws IllegalArgumentException if the text is malformed or the descriptors are not as many as it says;
     *                                  the descriptors are closed.
     */
    public static VhostUserHandover parse(final String state, final int[] fds)
    {
        try
        {
            final long[] words = Arrays.stream(state.split(",")).mapToLong(word -> Long.parseUnsignedLong(word, 16)).toArray();
            final int regionCount = (int)words[3];
            if (regionCount < 0 || regionCount > VhostUserMessage.MAX_REGIONS ||
                words.length != 4 + 4 * regionCount + VhostUserSession.QUEUES * QUEUE_FIELDS)
            {
                throw new IllegalArgumentException("vhost-user state of " + words.length + " words");
            }
            final long[][] regions = new long[regionCount][];
            for (int i = 0; i < regionCount; i++)
            {
                regions[i] = Arrays.copyOfRange(words, 4 + 4 * i, 8 + 4 * i);
            }
            final long[][] queues = new long[VhostUserSession.QUEUES][];
            int calls = 0;
            for (int i = 0; i < queues.length; i++)
            {
                final int at = 4 + 4 * regionCount + QUEUE_FIELDS * i;
                queues[i] = Arrays.copyOfRange(words, at, at + QUEUE_FIELDS);
                calls += 0 != (queues[i][4] & HAS_CALL) ? 1 : 0;
            }
            final VhostUserHandover handover = new VhostUserHandover(0 != words[0], 0 != words[1], words[2], regions, queues, fds);
            final int expected = (int)(words[0] + words[1]) + regionCount + calls;
            if (expected != fds.length)
            {
                throw new IllegalArgumentException("vhost-user state for " + expected + " descriptors came with " + fds.length);
            }
            return handover;
        }
        catch (final RuntimeException ex)
        {
            Arrays.stream(fds).forEach(UnixSocket::closeDescriptor);
            throw ex instanceof IllegalArgumentException iae ? iae : new IllegalArgumentException("vhost-user state " + state, ex);
        }
    }

    /** The state as one word of text (hexadecimal numbers separated by commas). */
    public String state()
    {
        final List<String> words = new ArrayList<>(List.of(listening ? "1" : "0", connected ? "1" : "0",
            Long.toHexString(features), Integer.toHexString(regions.length)));
        Arrays.stream(regions).flatMapToLong(Arrays::stream).forEach(word -> words.add(Long.toHexString(word)));
        Arrays.stream(queues).flatMapToLong(Arrays::stream).forEach(word -> words.add(Long.toHexString(word)));
        return String.join(",", words);
    }

    /** The descriptors, in the order the class comment gives; still their owner's. */
    public int[] fds()
    {
        return fds.clone();
    }

    /** Whether a frontend was connected. */
    public boolean connected()
    {
        return connected;
    }

    /** The descriptors as the receiving port takes them: nobody else closes them. */
    int[] take()
    {
        taken = true;
        return fds.clone();
    }

    /** Closes the descriptors of a handover no port took (on the receiving side only). */
    @Override
    public void close()
    {
        if (!taken)
        {
            taken = true;
            Arrays.stream(fds).forEach(UnixSocket::closeDescriptor);
        }
    }

    @Override
    public String toString()
    {
        return "VhostUserHandover{" + state() + ", fds=" + Arrays.toString(fds) + "}";
    }
}
