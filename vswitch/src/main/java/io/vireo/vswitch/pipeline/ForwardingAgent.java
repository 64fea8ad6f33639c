package io.vireo.vswitch.pipeline;

import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.CpuAffinity;
import io.vireo.dataplane.pipeline.BurstContext;
import io.vireo.dataplane.pipeline.Features;
import io.vireo.dataplane.pipeline.Stage;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.CachedEpochClock;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;

/**
 * A poll-mode forwarding thread: for every port it polls, receive a burst, then run the pipeline's
 * {@link Stage stages} over the whole burst, one after the other (parse, learn, policy, L2 lookup,
 * output; see {@link Pipeline}), skipping those whose {@link Features feature} the burst's bridge does
 * not have. The output stage sends each egress port its frames once per burst.
 * <p>
 * Only this agent's thread touches its ports' I/O and its table of ports and bridges; the conductor
 * changes them by {@link #submit commands} drained at the top of every duty cycle (through
 * {@link ForwardingProxy}), so the hot path has no locks.
 */
public final class ForwardingAgent implements Agent
{
    public static final int ANY_CPU = -1;
    private static final int COMMAND_LIMIT = 16;
    private static final long MAX_RECORDED_NS = TimeUnit.SECONDS.toNanos(1);
    private static final Consumer<Runnable> RUN = Runnable::run;

    private final String roleName;
    /** The CPU this thread is pinned to at start, or {@link #ANY_CPU}. */
    private final int cpu;
    private volatile int threadId;
    private volatile long javaThreadId = -1;
    private final FrameBurst frames;
    private final BurstContext burst;
    private final EpochClock systemClock;
    private final CachedEpochClock clock = new CachedEpochClock();
    private final ManyToOneConcurrentArrayQueue<Runnable> commands = new ManyToOneConcurrentArrayQueue<>(1024);
    private final Features features;
    private final Stage[] stages;
    private final PortTable ports;
    private final PolicyStage policy;
    private final OutputStage output;
    private final int[] polled;
    private int polledCount;
    /** Ids of the ports this thread does not read while they are over their ingress limit. */
    private final int[] suspended;
    private int suspendedCount;
    private final PortWaitSet waitSet;
    private final ThreadCounters threadCounters;
    /** Time from the end of a receive to the end of its transmits, per non-empty burst; wait-free to record. */
    private final Recorder burstLatency = new Recorder(TimeUnit.SECONDS.toNanos(1), 2);

    ForwardingAgent(
        final String roleName,
        final int cpu,
        final Pipeline pipeline,
        final EpochClock systemClock,
        final PortWaitSet waitSet,
        final ThreadCounters threadCounters)
    {
        this.roleName = roleName;
        this.cpu = cpu;
        this.frames = pipeline.newBurst();
        this.burst = new BurstContext(frames);
        this.systemClock = systemClock;
        this.features = pipeline.features();
        this.ports = new PortTable(pipeline.maxPorts(), pipeline.maxBridges());
        this.policy = pipeline.policyStage();
        this.output = pipeline.outputStage(ports);
        this.stages = pipeline.stages(ports, policy, output);
        this.polled = new int[pipeline.maxPorts()];
        this.suspended = new int[pipeline.maxPorts()];
        this.waitSet = waitSet;
        this.threadCounters = threadCounters;
    }

    /** The switch's time per burst since the last call; another thread reads it (HdrHistogram's Recorder). */
    Histogram takeBurstLatency()
    {
        return burstLatency.getIntervalHistogram();
    }

    public ThreadCounters threadCounters()
    {
        return threadCounters;
    }

    /** Queues a change for this agent's thread and wakes it if it sleeps; false if the queue is full. Any thread. */
    boolean submit(final Runnable command)
    {
        if (!commands.offer(command))
        {
            return false;
        }
        if (null != waitSet)
        {
            waitSet.wake();
        }
        return true;
    }

    @Override
    public String roleName()
    {
        return roleName;
    }

    /** Pins the thread to its CPU, if it has one, and notes the thread's kernel and JVM ids. */
    @Override
    public void onStart()
    {
        threadId = CpuAffinity.currentThreadId();
        javaThreadId = Thread.currentThread().getId();
        if (ANY_CPU != cpu)
        {
            CpuAffinity.pinCurrentThread(cpu);
        }
    }

    /** The CPU the thread is pinned to, or {@link #ANY_CPU}. */
    public int cpu()
    {
        return cpu;
    }

    /** The thread's kernel id once it has started, else 0. Any thread. */
    public int threadId()
    {
        return threadId;
    }

    /** The JVM's id of the thread that started the agent ({@link Thread#getId()}), else -1. Any thread. */
    public long javaThreadId()
    {
        return javaThreadId;
    }

    @Override
    public void onClose()
    {
        threadCounters.close();
        policy.flowCache().close();
        if (null != waitSet)
        {
            waitSet.close();
        }
    }

    @Override
    public int doWork()
    {
        final long startNs = System.nanoTime();
        final int commandsRun = commands.drain(RUN, COMMAND_LIMIT);
        // Frames are the work that keeps the idle strategy spinning; a command is not: after one the thread goes
        // back to where it was (asleep, in the adaptive strategy), unless more commands are queued. A thousand
        // VXLAN peers added one by one cost a thousand spin phases of every port's poll before.
        int work = COMMAND_LIMIT == commandsRun ? commandsRun : 0;
        clock.update(systemClock.time());
        long deadline = resumeReadyPorts(startNs);
        for (int i = 0; i < polledCount; i++)
        {
            final PortEntry in = ports.port(polled[i]);
            if (in.ingressLimit.limited() && !in.ingressLimit.ready(startNs))
            {
                // Over its limit: its frames wait in the kernel's queue until the bucket refills.
                suspend(in);
                deadline = Math.min(deadline, in.ingressLimit.readyAt());
                continue;
            }
            frames.clear();
            final int received = in.port.receive(frames);
            threadCounters.onPoll(received);
            if (received > 0)
            {
                final long burstStartNs = System.nanoTime();
                if (in.ingressLimit.limited())
                {
                    chargeIngress(in, received, burstStartNs);
                }
                forward(in, received);
                burstLatency.recordValue(Math.min(System.nanoTime() - burstStartNs, MAX_RECORDED_NS));
                work += received;
            }
            if (0 != in.port.failure())
            {
                detach(in.id);
                i--;
            }
        }
        if (output.isShaping())
        {
            work += output.drainShaping(System.nanoTime());
            deadline = Math.min(deadline, output.shapingDeadline());
        }
        if (null != waitSet)
        {
            waitSet.wakeBy(deadline);
        }
        threadCounters.onFlowCache(policy.flowCache().hits(), policy.flowCache().misses());
        threadCounters.onCycle(startNs, System.nanoTime(), Math.max(work, commandsRun));
        return work;
    }

    private void forward(final PortEntry in, final int received)
    {
        long bytes = 0;
        for (int frame = 0; frame < received; frame++)
        {
            bytes += frames.frameLength(frame);
            in.capture(frames, frame);
        }
        in.counters.received(received, bytes);
        burst.begin(in.id, in.bridgeId, in.counters, clock.time());
        final int bridgeFeatures = features.of(in.bridgeId);
        for (final Stage stage : stages)
        {
            final int needed = stage.features();
            if ((bridgeFeatures & needed) == needed)
            {
                stage.process(burst);
            }
        }
    }

    /** Takes what a port just sent into the switch from its ingress bucket. */
    private void chargeIngress(final PortEntry in, final int received, final long nowNanos)
    {
        long wire = 0;
        for (int frame = 0; frame < received; frame++)
        {
            wire += frames.wireLength(frame);
        }
        in.ingressLimit.charge(wire, nowNanos);
    }

    /** Stops watching the descriptor of a port over its ingress limit, which would wake the thread at once. */
    private void suspend(final PortEntry in)
    {
        if (null != waitSet && !in.suspended)
        {
            waitSet.remove(in.port.pollFd());
            in.suspended = true;
            suspended[suspendedCount++] = in.id;
        }
    }

    /**
     * Watches again the ports whose ingress bucket has refilled.
     *
     * @return when the first still suspended port will be ready; MAX_VALUE if none is.
     */
    private long resumeReadyPorts(final long nowNanos)
    {
        long deadline = Long.MAX_VALUE;
        for (int i = 0; i < suspendedCount; i++)
        {
            final PortEntry entry = ports.port(suspended[i]);
            if (null != entry && entry.suspended && !entry.ingressLimit.ready(nowNanos))
            {
                deadline = Math.min(deadline, entry.ingressLimit.readyAt());
                continue;
            }
            if (null != entry && entry.suspended)
            {
                waitSet.add(entry.port.pollFd());
                entry.suspended = false;
            }
            suspended[i--] = suspended[--suspendedCount];
        }
        return deadline;
    }

    // ---- commands, run on this agent's thread ----

    void addBridge(final int bridgeId)
    {
        ports.addBridge(bridgeId);
    }

    void removeBridge(final int bridgeId)
    {
        ports.removeBridge(bridgeId);
    }

    void attach(final PortEntry entry)
    {
        ports.add(entry);
        if (entry.polled)
        {
            startPolling(entry);
        }
    }

    /**
     * Starts or stops receiving from a port whose one queue all threads share (the others go on writing
     * it); a port that is gone, or already in that state, is left alone. Frames the port receives meanwhile
     * wait in its queue for the thread that polls it next.
     */
    void poll(final int portId, final boolean poll)
    {
        final PortEntry entry = ports.port(portId);
        if (null == entry || entry.polled == poll)
        {
            return;
        }
        entry.polled = poll;
        if (poll)
        {
            startPolling(entry);
        }
        else
        {
            stopPolling(entry);
        }
    }

    private void startPolling(final PortEntry entry)
    {
        polled[polledCount++] = entry.id;
        if (null != waitSet)
        {
            waitSet.add(entry.port.pollFd());
        }
    }

    private void stopPolling(final PortEntry entry)
    {
        polledCount = PortTable.remove(polled, polledCount, entry.id);
        if (entry.suspended)
        {
            entry.suspended = false;
            suspendedCount = PortTable.remove(suspended, suspendedCount, entry.id);
        }
        else if (null != waitSet)
        {
            waitSet.remove(entry.port.pollFd());
        }
    }

    /** Starts or (with null) ends the capture of a port's frames; a port that is gone is ignored. */
    void capture(final int portId, final FrameRecorder capture)
    {
        final PortEntry entry = ports.port(portId);
        if (null != entry)
        {
            entry.capture = capture;
        }
    }

    /** Stops polling a port and removes it from its bridge; idempotent. */
    void detach(final int portId)
    {
        final PortEntry entry = ports.port(portId);
        if (null == entry)
        {
            return;
        }
        if (entry.polled)
        {
            stopPolling(entry);
        }
        ports.remove(entry);
    }
}
