package io.vireo.dataplane.pipeline;

import java.util.function.ToLongFunction;

import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

/**
 * A port's counters, in the switch's counters file. The pipeline counts what it receives and what it
 * sends on the port, the drops of its stages, and the ARP requests and neighbour solicitations from the
 * port that the switch answered itself ({@link #suppressed}), and the IPv4 fragments it cut routed packets into
 * for the port ({@link #fragmented}); a port may count what it drops or sends itself
 * ({@link io.vireo.dataplane.port.Port#countsTransmits()}), and a vhost-user port the protocol violations of its
 * frontend ({@link #violated}). Writers add with release ordering, once per
 * burst where they can; readers in other threads and processes see whole values.
 * Counter type ids: {@link #TYPE_RX_PACKETS}..{@link #TYPE_FRONTEND_VIOLATIONS}, and
 * {@link #TYPE_DROP_BASE} + {@link DropReason#ordinal()}. The counter key holds the port name.
 */
public final class PortCounters implements AutoCloseable
{
    public static final int TYPE_RX_PACKETS = 1;
    public static final int TYPE_RX_BYTES = 2;
    public static final int TYPE_TX_PACKETS = 3;
    public static final int TYPE_TX_BYTES = 4;
    /** ARP requests and neighbour solicitations the switch answered itself: consumed, not dropped. */
    public static final int TYPE_SUPPRESSED = 5;
    /** IPv4 fragments sent: routed packets larger than the router interface's MTU, cut to it on the way out. */
    public static final int TYPE_FRAGMENTS = 6;
    /** Protocol violations of a vhost-user port's frontend: each reset the port (not frames: the frontend's own). */
    public static final int TYPE_FRONTEND_VIOLATIONS = 7;
    public static final int TYPE_DROP_BASE = 100;

    private final AtomicCounter rxPackets;
    private final AtomicCounter rxBytes;
    private final AtomicCounter txPackets;
    private final AtomicCounter txBytes;
    private final AtomicCounter suppressed;
    private final AtomicCounter fragments;
    private final AtomicCounter violations;
    private final AtomicCounter[] drops = new AtomicCounter[DropReason.count()];

    public PortCounters(final CountersManager manager, final String portName)
    {
        rxPackets = allocate(manager, portName, TYPE_RX_PACKETS, "rx_packets");
        rxBytes = allocate(manager, portName, TYPE_RX_BYTES, "rx_bytes");
        txPackets = allocate(manager, portName, TYPE_TX_PACKETS, "tx_packets");
        txBytes = allocate(manager, portName, TYPE_TX_BYTES, "tx_bytes");
        suppressed = allocate(manager, portName, TYPE_SUPPRESSED, "arp_nd_suppressed");
        fragments = allocate(manager, portName, TYPE_FRAGMENTS, "ipv4_fragments");
        violations = allocate(manager, portName, TYPE_FRONTEND_VIOLATIONS, "frontend_violations");
        for (int i = 0; i < drops.length; i++)
        {
            drops[i] = allocate(manager, portName, TYPE_DROP_BASE + i, "drop_" + DropReason.of(i).metricName());
        }
    }

    private static AtomicCounter allocate(
        final CountersManager manager, final String portName, final int typeId, final String metric)
    {
        final int id = manager.allocate(
            "port " + portName + " " + metric, typeId, key -> key.putStringAscii(0, portName));
        return new AtomicCounter(manager.valuesBuffer(), id, manager);
    }

    /** Type name of a counter type id, as {@code vireoctl stats} prints it. */
    public static String metricName(final int typeId)
    {
        switch (typeId)
        {
            case TYPE_RX_PACKETS: return "rx_packets";
            case TYPE_RX_BYTES: return "rx_bytes";
            case TYPE_TX_PACKETS: return "tx_packets";
            case TYPE_TX_BYTES: return "tx_bytes";
            case TYPE_SUPPRESSED: return "arp_nd_suppressed";
            case TYPE_FRAGMENTS: return "ipv4_fragments";
            case TYPE_FRONTEND_VIOLATIONS: return "frontend_violations";
            default:
                final int drop = typeId - TYPE_DROP_BASE;
                return drop >= 0 && drop < DropReason.count() ? "drop_" + DropReason.of(drop).metricName() : null;
        }
    }

    /**
     * Starts the counters from the values a port of this name had in an earlier run of the switch, by
     * counter label ({@code earlier} answers 0 for a label it does not know): before the port forwards.
     */
    public void carryOver(final ToLongFunction<String> earlier)
    {
        carryOver(rxPackets, earlier);
        carryOver(rxBytes, earlier);
        carryOver(txPackets, earlier);
        carryOver(txBytes, earlier);
        carryOver(suppressed, earlier);
        carryOver(fragments, earlier);
        carryOver(violations, earlier);
        for (final AtomicCounter drop : drops)
        {
            carryOver(drop, earlier);
        }
    }

    private static void carryOver(final AtomicCounter counter, final ToLongFunction<String> earlier)
    {
        counter.setRelease(earlier.applyAsLong(counter.label()));
    }

    /** Adds {@code packets} received, {@code bytes} long in all. */
    public void received(final int packets, final long bytes)
    {
        rxPackets.getAndAddRelease(packets);
        rxBytes.getAndAddRelease(bytes);
    }

    /** Adds {@code packets} sent, {@code bytes} long in all. */
    public void sent(final int packets, final long bytes)
    {
        txPackets.getAndAddRelease(packets);
        txBytes.getAndAddRelease(bytes);
    }

    /** Adds {@code requests} ARP requests or neighbour solicitations the switch answered itself. */
    public void suppressed(final int requests)
    {
        suppressed.getAndAddRelease(requests);
    }

    /** Adds {@code count} IPv4 fragments sent, cut from routed packets. */
    public void fragmented(final int count)
    {
        fragments.getAndAddRelease(count);
    }

    /** Adds {@code count} protocol violations of the port's vhost-user frontend. */
    public void violated(final long count)
    {
        violations.getAndAddRelease(count);
    }

    /** Adds {@code frames} dropped for {@code reason}. */
    public void dropped(final DropReason reason, final int frames)
    {
        drops[reason.ordinal()].getAndAddRelease(frames);
    }

    public long rxPackets()
    {
        return rxPackets.get();
    }

    public long txPackets()
    {
        return txPackets.get();
    }

    public long rxBytes()
    {
        return rxBytes.get();
    }

    public long txBytes()
    {
        return txBytes.get();
    }

    /** ARP requests and neighbour solicitations from the port that the switch answered itself. */
    public long suppressed()
    {
        return suppressed.get();
    }

    /** IPv4 fragments sent on the port, cut from routed packets. */
    public long fragments()
    {
        return fragments.get();
    }

    /** Protocol violations of the port's vhost-user frontend, each of which reset the port. */
    public long violations()
    {
        return violations.get();
    }

    public long drops(final DropReason reason)
    {
        return drops[reason.ordinal()].get();
    }

    @Override
    public void close()
    {
        rxPackets.close();
        rxBytes.close();
        txPackets.close();
        txBytes.close();
        suppressed.close();
        fragments.close();
        violations.close();
        for (final AtomicCounter drop : drops)
        {
            drop.close();
        }
    }
}
