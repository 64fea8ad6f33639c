package io.vireo.vswitch.cli;

import java.io.IOException;

import io.vireo.cluster.ClusterNode;

/**
 * A cluster node's part when its daemon is taken over ({@link Takeover.Server}'s pause and resume): it keeps its
 * lease, endpoints, blocks and addresses for the daemon taking over, which adopts them, so the other nodes see no
 * change. Null node: the daemon is no cluster node, and nothing is done.
 */
final class ClusterHandover
{
    private ClusterHandover()
    {
    }

    /**
     * As a takeover starts: the node stops changing the switch and the store, keeping its lease alive, and the run
     * dir's state is saved, so that it holds the bridges and peers of the cluster's networks, which the node changes
     * without saving: the new daemon builds its switch, and claims the ports handed over, from it.
     *
     * @throws IllegalStateException if the state cannot be saved: the takeover is refused.
     */
    static void pause(final ClusterNode node, final StateFile runStateFile)
    {
        if (null != node)
        {
            node.suspend();
            try
            {
                runStateFile.switchChanged();
            }
            catch (final IOException ex)
            {
                throw new IllegalStateException(ex.getMessage(), ex);
            }
        }
    }

    /** The takeover failed, or was refused: the node follows the store and drives the switch again. */
    static void resume(final ClusterNode node)
    {
        if (null != node)
        {
            node.resume();
        }
    }
}
