package io.vireo.vswitch.core;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.vireo.vswitch.pipeline.ForwardingAgent;
import io.vireo.vswitch.pipeline.ForwardingProxy;
import io.vireo.vswitch.pipeline.Pipeline;
import io.vireo.vswitch.pipeline.PortWaitSet;
import io.vireo.vswitch.pipeline.ThreadCounters;
import io.vireo.dataplane.nativeio.CpuAffinity;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentInvoker;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.CompositeAgent;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.status.CountersManager;

/**
 * The switch's agents and what runs them: N forwarding agents and the conductor, each on a thread of
 * its own ({@link ThreadingMode#DEDICATED}: forwarding threads wait as {@link IdleMode} says, pinned to
 * a CPU if asked), or all driven by the caller's {@link #invoke()} ({@link ThreadingMode#INVOKER}).
 */
final class ForwardingThreads implements AutoCloseable
{
    private final ForwardingAgent[] agents;
    private final PortWaitSet[] waitSets;
    private final IdleMode idleMode;
    private final ForwardingProxy proxy;
    private AgentRunner[] runners;
    private AgentRunner conductorRunner;
    private Conductor.ConductorIdle conductorIdle;
    private AgentInvoker invoker;

    /** Makes the forwarding agents, to be {@link #start started} with the conductor. */
    ForwardingThreads(final VireoContext context, final Pipeline pipeline, final CountersManager counters)
    {
        final boolean dedicated = context.threadingMode() == ThreadingMode.DEDICATED;
        idleMode = context.idleMode();
        final int threads = context.forwardingThreads();
        final int[] cpus = context.forwardingCpus();
        if (null != cpus)
        {
            checkCpus(cpus);
        }
        agents = new ForwardingAgent[threads];
        waitSets = new PortWaitSet[threads];
        for (int i = 0; i < threads; i++)
        {
            waitSets[i] = dedicated && context.idleMode() == IdleMode.ADAPTIVE ? new PortWaitSet() : null;
            final String role = "vireo-forwarding-" + i;
            agents[i] = pipeline.newAgent(role, null == cpus ? ForwardingAgent.ANY_CPU : cpus[i], context.epochClock(),
                waitSets[i], new ThreadCounters(counters, role));
        }
        proxy = new ForwardingProxy(agents, dedicated ? null : this::invoke);
    }

    /** Starts the forwarding agents and the conductor: on threads of their own, or under {@link #invoke()}. */
    void start(final Conductor conductor)
    {
        final ErrorHandler errorHandler = ex -> System.err.println("vireo: agent error: " + ex);
        if (proxy.isInvoked())
        {
            final List<Agent> all = new ArrayList<>(List.of(agents));
            all.add(conductor);
            invoker = new AgentInvoker(errorHandler, null, new CompositeAgent(all));
            invoker.start();
            return;
        }
        runners = new AgentRunner[agents.length];
        for (int i = 0; i < agents.length; i++)
        {
            runners[i] = new AgentRunner(idleStrategy(idleMode, waitSets[i]), errorHandler, null, agents[i]);
            AgentRunner.startOnThread(runners[i]);
        }
        conductorIdle = conductor.idleStrategy();
        conductorRunner = new AgentRunner(conductorIdle, errorHandler, null, conductor);
        AgentRunner.startOnThread(conductorRunner);
    }

    /** Every CPU must be one the process may run on, else a thread would fail to pin itself at start. */
    private static void checkCpus(final int[] cpus)
    {
        final BitSet allowed = CpuAffinity.allowedCpus();
        for (final int cpu : cpus)
        {
            if (cpu < 0 || !allowed.get(cpu))
            {
                throw VireoException.invalid("CPU " + cpu + " is not one this process may run on (allowed: " +
                    CpuList.format(allowed) + ")");
            }
        }
    }

    private static IdleStrategy idleStrategy(final IdleMode mode, final PortWaitSet waitSet)
    {
        switch (mode)
        {
            case BUSY: return new BusySpinIdleStrategy();
            case BACKOFF: return new BackoffIdleStrategy(100, 10, 1_000, 1_000_000);
            default: return waitSet;
        }
    }

    ForwardingProxy proxy()
    {
        return proxy;
    }

    int count()
    {
        return agents.length;
    }

    /** In {@link ThreadingMode#INVOKER} mode, runs one duty cycle of every agent; returns the work done. */
    int invoke()
    {
        if (null == invoker)
        {
            throw new IllegalStateException("invoke() is for ThreadingMode.INVOKER");
        }
        return invoker.invoke();
    }

    /** Thread {@code index}'s CPU, kernel id, the given ports it receives from and the bytes it has allocated. */
    ThreadInfo info(final int index, final List<String> polled)
    {
        final ForwardingAgent agent = agents[index];
        return new ThreadInfo(index, agent.roleName(), ForwardingAgent.ANY_CPU == agent.cpu() ? null : agent.cpu(),
            0 == agent.threadId() ? null : agent.threadId(), polled, allocatedBytes(agent));
    }

    /** The bytes the agent's own thread has allocated, or null: not started, run by the caller's thread, not counted. */
    private Long allocatedBytes(final ForwardingAgent agent)
    {
        final long id = agent.javaThreadId();
        if (proxy.isInvoked() || id < 0 ||
            !(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads))
        {
            return null;
        }
        final long bytes = threads.getThreadAllocatedBytes(id);
        return bytes < 0 ? null : bytes;
    }

    /** Each thread's counters by thread name: loops, busy/idle ns, polls, bursts, frames, flow cache hits and misses. */
    Map<String, Map<String, Long>> stats()
    {
        final Map<String, Map<String, Long>> stats = new LinkedHashMap<>();
        for (final ForwardingAgent agent : agents)
        {
            stats.put(agent.roleName(), agent.threadCounters().snapshot());
        }
        return stats;
    }

    /** Stops every agent (the caller must not hold a lock the conductor takes). */
    @Override
    public void close()
    {
        if (null != invoker)
        {
            invoker.close();
        }
        else if (null != runners)
        {
            // Sleeps end now, and no other begins: a closing runner waits for its thread's loop to see it.
            for (int i = 0; i < runners.length; i++)
            {
                if (null != waitSets[i])
                {
                    waitSets[i].stop();
                }
                runners[i].close();
            }
            conductorIdle.stop(conductorRunner.thread());
            conductorRunner.close();
        }
    }
}
