package io.vireo.gateway.service;

import java.util.concurrent.atomic.AtomicLong;

/**
 * One load-balanced service as the forwarding threads see it: its virtual address, port and protocol,
 * its backends, the ones in selection (healthy), and what its algorithm picks from. Immutable but for
 * its turn counter, which the control plane carries from one view of the service to the next, so a
 * republish does not restart the round.
 * <ul>
 *   <li>{@link #RR}: the healthy backends in turn.</li>
 *   <li>{@link #WRR}: each healthy backend in proportion to its weight, exactly over every
 *   sum-of-weights connections: turn {@code t} takes position {@code t * stride mod total} of the
 *   backends' stacked weights, a stride prime to the total spreading each backend's turns through the
 *   round.</li>
 *   <li>{@link #LEAST_CONN}: the healthy backend with the fewest open connections per unit of weight
 *   ({@link BackendStats#open}); ties go round.</li>
 *   <li>{@link #SOURCE_HASH}: the client's address hashed modulo the number of healthy backends (as IPVS's
 *   {@code sh}): a client stays on one backend while the healthy set stays as it is; a change of the set
 *   moves most clients.</li>
 *   <li>{@link #MAGLEV}: the client's address hashed into the {@link Maglev} table, built from the healthy
 *   backends: a client stays on one backend, every gateway with the same backends picks the same one for
 *   it, and a backend that goes moves only its own clients (about 1/N of them).</li>
 * </ul>
 * Both hashes take the client's address alone, so that all of a client's connections land together;
 * the connection table keeps each connection where it started either way.
 * Weights count for {@code wrr} and {@code least-conn}; the Maglev table gives every backend an equal
 * share.
 */
public final class ServiceView
{
    public static final int RR = 0;
    public static final int WRR = 1;
    public static final int LEAST_CONN = 2;
    public static final int SOURCE_HASH = 3;
    public static final int MAGLEV = 4;
    /** {@link #select}: no healthy backend. */
    public static final int NO_BACKEND = -1;

    private final int protocol;
    private final int vip;
    private final int port;
    private final int algorithm;
    private final int[] addresses;
    private final int[] ports;
    private final int[] weights;
    private final int[] slots;
    private final int[] healthy;
    /** WRR: the stacked weights of the healthy backends, {@code stacked[i]} the end of healthy[i]'s share. */
    private final long[] stacked;
    private final long stride;
    /** MAGLEV: the index into {@link #healthy} of each entry's backend. */
    private final int[] maglev;
    private final AtomicLong turn;

    /**
     * @param protocol   6 (TCP) or 17 (UDP).
     * @param vip        the service's IPv4 address.
     * @param port       its port.
     * @param algorithm  {@link #RR} ... {@link #MAGLEV}.
     * @param addresses  each backend's IPv4 address.
     * @param ports      its port.
     * @param weights    its weight, 1 or more.
     * @param slots      its {@link BackendStats} slot.
     * @param inSelection whether it is healthy.
     * @param turn       the service's turn counter, kept across views.
     * @param maglevSize the Maglev table's size (a prime), for {@link #MAGLEV}.
     */
    public ServiceView(
        final int protocol, final int vip, final int port, final int algorithm, final int[] addresses, final int[] ports,
        final int[] weights, final int[] slots, final boolean[] inSelection, final AtomicLong turn, final int maglevSize)
    {
        if (algorithm < RR || algorithm > MAGLEV)
        {
            throw new IllegalArgumentException("unknown algorithm " + algorithm);
        }
        this.protocol = protocol;
        this.vip = vip;
        this.port = port;
        this.algorithm = algorithm;
        this.addresses = addresses.clone();
        this.ports = ports.clone();
        this.weights = weights.clone();
        this.slots = slots.clone();
        this.turn = turn;
        int count = 0;
        for (final boolean in : inSelection)
        {
            count += in ? 1 : 0;
        }
        healthy = new int[count];
        stacked = new long[count];
        long total = 0;
        for (int i = 0, next = 0; i < addresses.length; i++)
        {
            if (inSelection[i])
            {
                if (weights[i] < 1)
                {
                    throw new IllegalArgumentException("weights must be 1 or more: " + weights[i]);
                }
                total += weights[i];
                stacked[next] = total;
                healthy[next++] = i;
            }
        }
        stride = strideFor(total);
        if (MAGLEV == algorithm)
        {
            final long[] keys = new long[count];
            for (int i = 0; i < count; i++)
            {
                keys[i] = backendKey(addresses[healthy[i]], ports[healthy[i]]);
            }
            maglev = Maglev.build(keys, maglevSize);
        }
        else
        {
            maglev = null;
        }
    }

    /**
     * Picks the backend for a new connection. Forwarding path: no allocation, no lock.
     *
     * @return the backend's index ({@link #address}, {@link #port}, {@link #slot}), or {@link #NO_BACKEND}
     * if none is healthy.
     */
    public int select(final int source, final BackendStats stats)
    {
        final int count = healthy.length;
        if (0 == count)
        {
            return NO_BACKEND;
        }
        switch (algorithm)
        {
            case RR:
                return healthy[(int)Long.remainderUnsigned(turn.getAndIncrement(), count)];
            case WRR:
                final long total = stacked[count - 1];
                return healthy[stackedIndex(Long.remainderUnsigned(turn.getAndIncrement(), total) * stride % total)];
            case LEAST_CONN:
                return leastConnected(stats);
            case SOURCE_HASH:
                return healthy[(int)Long.remainderUnsigned(Maglev.mix(source), count)];
            default:
                return healthy[maglev[(int)Long.remainderUnsigned(Maglev.mix(source), maglev.length)]];
        }
    }

    public int protocol()
    {
        return protocol;
    }

    public int vip()
    {
        return vip;
    }

    public int port()
    {
        return port;
    }

    /** A backend's IPv4 address. */
    public int address(final int backend)
    {
        return addresses[backend];
    }

    /** A backend's port. */
    public int port(final int backend)
    {
        return ports[backend];
    }

    /** A backend's {@link BackendStats} slot. */
    public int slot(final int backend)
    {
        return slots[backend];
    }

    /** The key a backend is known by in the Maglev table: its address and port. */
    public static long backendKey(final int address, final int port)
    {
        return ((address & 0xFFFF_FFFFL) << 16) | (port & 0xFFFF);
    }

    private int stackedIndex(final long position)
    {
        int low = 0;
        int high = stacked.length - 1;
        while (low < high)
        {
            final int middle = (low + high) >>> 1;
            if (stacked[middle] > position)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }
        return low;
    }

    private int leastConnected(final BackendStats stats)
    {
        final int count = healthy.length;
        final int start = (int)Long.remainderUnsigned(turn.getAndIncrement(), count);
        int best = -1;
        long bestOpen = 0;
        long bestWeight = 1;
        for (int k = 0; k < count; k++)
        {
            final int backend = healthy[(start + k) % count];
            final long open = Math.max(0, stats.open(slots[backend]));
            // open / weight < bestOpen / bestWeight, without division.
            if (best < 0 || open * bestWeight < bestOpen * weights[backend])
            {
                best = backend;
                bestOpen = open;
                bestWeight = weights[backend];
            }
        }
        return best;
    }

    /** A stride prime to {@code total}, near its golden section, so consecutive turns land far apart. */
    private static long strideFor(final long total)
    {
        if (total <= 2)
        {
            return 1;
        }
        long stride = Math.max(1, (long)(total * 0.6180339887));
        while (gcd(stride, total) != 1)
        {
            stride++;
        }
        return stride;
    }

    private static long gcd(final long a, final long b)
    {
        return 0 == b ? a : gcd(b, a % b);
    }
}
