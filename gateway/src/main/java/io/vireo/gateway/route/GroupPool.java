package io.vireo.gateway.route;

import java.util.concurrent.locks.LockSupport;

/**
 * Which second-level groups of an {@link Ipv4RouteTable} are free, on the control thread.
 * <p>
 * A group the table stops pointing at may still be read: a forwarding thread that loaded the old
 * first-level entry a moment ago reads the group next. Were the group refilled for another /24 in
 * between, that thread would answer with another range's next hop. So a retired group goes into a
 * quarantine (first in, first out, with the time it left) and {@link #take} hands out, in this order:
 * a quarantined group retired at least {@code delayNs} ago (its pages are committed already), a group
 * never used, and only when neither is left, the oldest quarantined group <em>after waiting</em> on the
 * control thread until it has aged. A reader would have to stall between two adjacent loads for the
 * whole delay (a second by default) to see a reused group; the cost is that a table at its group
 * capacity that keeps retiring and taking groups adds at most one delay per update. The other
 * choice, handing out a young group, trades that wait for a wrong answer now and then.
 */
final class GroupPool
{
    private final int capacity;
    private final long delayNs;
    private final int[] quarantine;
    private final long[] retiredAt;
    private int head;
    private int quarantined;
    private int neverUsed;
    private long waits;

    GroupPool(final int capacity, final long delayNs)
    {
        this.capacity = capacity;
        this.delayNs = delayNs;
        quarantine = new int[capacity];
        retiredAt = new long[capacity];
    }

    /**
     * @return whether {@link #take} can give a group, at once or after a wait.
     */
    boolean canTake()
    {
        return neverUsed < capacity || quarantined > 0;
    }

    /**
     * @return groups that the table points at.
     */
    int inUse()
    {
        return neverUsed - quarantined;
    }

    /**
     * @return how often {@link #take} had to wait for a quarantined group to age.
     */
    long waits()
    {
        return waits;
    }

    /**
     * A free group; call only if {@link #canTake}.
     */
    int take()
    {
        if (quarantined > 0 && System.nanoTime() - retiredAt[head] >= delayNs)
        {
            return dequeue();
        }
        if (neverUsed < capacity)
        {
            return neverUsed++;
        }
        waits++;
        long left;
        while ((left = delayNs - (System.nanoTime() - retiredAt[head])) > 0)
        {
            LockSupport.parkNanos(left);
        }
        return dequeue();
    }

    /**
     * The table no longer points at {@code group}.
     */
    void retire(final int group)
    {
        final int tail = (head + quarantined) % capacity;
        quarantine[tail] = group;
        retiredAt[tail] = System.nanoTime();
        quarantined++;
    }

    private int dequeue()
    {
        final int group = quarantine[head];
        head = (head + 1) % capacity;
        quarantined--;
        return group;
    }
}
