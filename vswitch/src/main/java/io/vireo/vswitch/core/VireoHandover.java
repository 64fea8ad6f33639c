package io.vireo.vswitch.core;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Restarts and handovers ({@code vireod --takeover}) of the {@link Vireo} facade, reached by
 * {@link Vireo#handover()}: the TAPs an earlier run left with the port keeper, the steps of handing this switch
 * over to another process, and those of taking a running switch's place. It hands each request to
 * {@link PortHandover} (and {@link FdbEntries} for the learned entries).
 * <p>
 * Same contract as {@link Vireo}'s own methods: each takes the switch's lock (the {@link Vireo} instance), and a
 * change is refused while the switch is closed or being handed over, but for the steps that end a handover.
 */
public final class VireoHandover
{
    private final Vireo vireo;
    private final PortHandover handover;
    private final FdbEntries fdbEntries;
    private final SwitchTables tables;

    VireoHandover(
        final Vireo vireo, final PortHandover handover, final FdbEntries fdbEntries, final SwitchTables tables)
    {
        this.vireo = vireo;
        this.handover = handover;
        this.fdbEntries = fdbEntries;
        this.tables = tables;
    }

    /**
     * Names of TAP ports of an earlier run whose devices the port keeper still holds, and of ports a switch
     * handed over ({@link #takePorts}), that no port has claimed (by adding a TAP port, or a VXLAN bridge, of
     * that name) since this switch started.
     */
    public List<String> unclaimedPorts()
    {
        return vireo.locked(handover::unclaimed);
    }

    /** Lets the TAPs of unclaimed ports go: the keeper drops them and the kernel removes them. */
    public void releaseUnclaimedPorts()
    {
        vireo.locked(handover::releaseUnclaimed);
    }

    /**
     * The first step of handing this switch over to another process: every port's descriptors, which stay this
     * switch's too (it goes on forwarding). From now on every change is refused, until
     * {@link #resumeAfterFailedHandover} or {@link Vireo#close}, so the switch the other process builds from the state
     * saved so far is this one.
     *
     * @throws VireoException (invalid) naming a port whose type cannot be handed over (only TAP, VXLAN, vhost-user
     *                        and af-packet ports, and the routers' own, which the other switch makes itself, can).
     */
    public List<HandedPort> handOverPorts()
    {
        return vireo.lockedOpen(handover::handOver);
    }

    /**
     * A step of a handover ({@link #handOverPorts}): every port stops forwarding; frames wait in their queues.
     *
     * @return the vhost-user ports' state and descriptors (still this switch's), their rings stopped too, and where
     *         each af-packet port's ring reader stopped.
     */
    public List<HandedPort> stopForwarding()
    {
        return vireo.locked(() ->
        {
            if (!handover.handingOver() || vireo.closed())
            {
                throw new IllegalStateException("the switch is not being handed over");
            }
            return handover.stopForwarding();
        });
    }

    /** The handover failed: the ports forward again if they had stopped, and changes are taken again. */
    public void resumeAfterFailedHandover()
    {
        vireo.locked(() -> handover.resume(vireo.closed()));
    }

    /**
     * The handover is done: closing the switch leaves the counters file, which the new switch replaced, and the
     * vhost-user ports' socket files alone.
     */
    public void handedOver()
    {
        vireo.locked(handover::handedOver);
    }

    /**
     * Renames the counters file to {@code target}, replacing what is there in one step: a switch taking another's
     * place counts into a file of its own until it forwards.
     */
    public void moveCountersFile(final Path target)
    {
        vireo.locked(() -> tables.moveCountersFile(target));
    }

    /** Every bridge's learned (dynamic) forwarding entries, by bridge name: what a switch taking over learns first. */
    public Map<String, List<FdbEntry>> learnedEntries()
    {
        return vireo.locked(fdbEntries::learned);
    }

    /**
     * The first step of taking a running switch's place: the ports it handed over ({@link #handOverPorts}). A TAP
     * port added from now on under one of their names takes its descriptors (instead of those the port keeper
     * held, which are closed), a VXLAN bridge its sockets; and ports join the forwarding threads without being
     * polled, until {@link #startForwarding}.
     */
    public void takePorts(final List<HandedPort> ports)
    {
        vireo.lockedOpen(() -> handover.take(ports));
    }

    /**
     * The last step of taking a switch's place, once it stopped forwarding: every port's counters go on from
     * {@code earlierCounters} (by label), the MACs it had learned ({@link #learnedEntries}) are learned here with
     * their age, the vhost-user ports go on from the state it handed over ({@link #stopForwarding}), the af-packet
     * ports' rings from where its readers stopped, and every port starts forwarding.
     *
     * @param stoppedPorts what {@link #stopForwarding} returned there.
     * @return the entries not learned: their port or VXLAN peer is not on this switch, or the table is full.
     * @throws VireoException (failed) if an af-packet port taken over has no position there, or one that does not
     *                        fit its ring: nothing forwards yet.
     */
    public int startForwarding(final Map<String, List<FdbEntry>> learned, final List<HandedPort> stoppedPorts,
        final Map<String, Long> earlierCounters)
    {
        return vireo.lockedOpen(() -> handover.startForwarding(learned, stoppedPorts, earlierCounters));
    }
}
