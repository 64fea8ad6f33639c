package io.vireo.vswitch.cni;

/** Where a container's addresses come from: a delegated IPAM plugin, or the cluster's address blocks. */
interface Ipam
{
    /** Allocates the container's addresses; a failure leaves nothing allocated. */
    CniResult add();

    /** True if {@link #add} runs a program (milliseconds): ADD then makes the port meanwhile. */
    boolean runsAProgram();

    /** Checks the container's addresses are still its own. */
    void check();

    /** Releases the container's addresses; releasing none is no error. */
    void delete();

    /** DEL on the way out of a failed ADD: a failure is reported on stderr, the original error stands. */
    void release();
}
