package io.vireo.dataplane.pipeline;

/**
 * One step of the forwarding pipeline, run over a whole received burst before the next step runs (as
 * a node of VPP's graph works on a whole vector): parse, learn, policy, L2 lookup, output, and what
 * later capabilities add (routing, NAT, load balancing). A stage reads and writes the burst's frames
 * and its per-frame scratch in the {@link BurstContext}; it decides a frame's fate by setting its
 * action or dropping it with a reason. Stages run on a forwarding thread: they never allocate, lock,
 * throw or block, and one instance belongs to one thread.
 */
public interface Stage
{
    /**
     * The {@link Features} bits a bridge must have for this stage to run on its frames, or 0 if it runs
     * on every bridge; a bridge without them pays nothing for the stage.
     */
    default int features()
    {
        return 0;
    }

    /** Works on every frame of the burst that is not {@link BurstContext#DROPPED dropped}. */
    void process(BurstContext burst);
}
