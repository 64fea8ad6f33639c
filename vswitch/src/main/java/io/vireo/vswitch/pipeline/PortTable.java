package io.vireo.vswitch.pipeline;

/**
 * One forwarding thread's view of the switch's ports and of which bridge each belongs to, by id.
 * Changed only by the thread's commands, read by its stages; never shared.
 */
final class PortTable
{
    private final PortEntry[] ports;
    private final int[][] bridgeMembers;
    private final int[] bridgeMemberCounts;

    PortTable(final int maxPorts, final int maxBridges)
    {
        this.ports = new PortEntry[maxPorts];
        this.bridgeMembers = new int[maxBridges][];
        this.bridgeMemberCounts = new int[maxBridges];
    }

    /** The port with this id, or null. */
    PortEntry port(final int id)
    {
        return id >= 0 && id < ports.length ? ports[id] : null;
    }

    /** The ids of a bridge's ports, valid below {@link #memberCount}. */
    int[] members(final int bridgeId)
    {
        return bridgeMembers[bridgeId];
    }

    int memberCount(final int bridgeId)
    {
        return bridgeMemberCounts[bridgeId];
    }

    void addBridge(final int bridgeId)
    {
        bridgeMembers[bridgeId] = new int[ports.length];
        bridgeMemberCounts[bridgeId] = 0;
    }

    void removeBridge(final int bridgeId)
    {
        bridgeMembers[bridgeId] = null;
        bridgeMemberCounts[bridgeId] = 0;
    }

    void add(final PortEntry entry)
    {
        ports[entry.id] = entry;
        bridgeMembers[entry.bridgeId][bridgeMemberCounts[entry.bridgeId]++] = entry.id;
    }

    void remove(final PortEntry entry)
    {
        final int[] members = bridgeMembers[entry.bridgeId];
        if (null != members)
        {
            bridgeMemberCounts[entry.bridgeId] = remove(members, bridgeMemberCounts[entry.bridgeId], entry.id);
        }
        ports[entry.id] = null;
    }

    /** Removes {@code value} from {@code values[0..count)}, keeping the order; returns the new count. */
    static int remove(final int[] values, final int count, final int value)
    {
        for (int i = 0; i < count; i++)
        {
            if (values[i] == value)
            {
                System.arraycopy(values, i + 1, values, i, count - i - 1);
                values[count - 1] = 0;
                return count - 1;
            }
        }
        return count;
    }
}
