package io.vireo.vswitch.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.function.IntFunction;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

import org.HdrHistogram.Histogram;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.IdleStrategy;

/**
 * The conductor's one way to change what the forwarding threads do: a method per command (as Aeron's
 * {@code SenderProxy}), each queued to the threads it concerns and run there between two bursts, so
 * the threads' tables need no lock. A thread runs its commands in the order they were sent. Commands
 * whose effect the caller builds on are awaited: they return once each thread has applied them (a port
 * detached can be closed, a capture stopped can close its file). Adding and removing a bridge are
 * fire-and-forget: nothing waits on them, and every later command about the bridge is queued behind
 * them. In invoker mode a waiting caller runs the agents' duty cycles itself; otherwise it spins briefly,
 * then yields, then parks for up to {@link #MAX_PARK_NS} at a time, so that a caller waiting on a thread
 * that was asleep (in epoll, when idle) does not hold a CPU the thread needs to wake on: a cluster node
 * adding a thousand VXLAN peers waits a thousand times.
 */
public final class ForwardingProxy
{
    private static final long COMMAND_TIMEOUT_MS = 5_000;
    private static final int MAX_SPINS = 100;
    private static final int MAX_YIELDS = 100;
    private static final long MIN_PARK_NS = 1_000;
    private static final long MAX_PARK_NS = 100_000;

    private final ForwardingAgent[] agents;
    private final IntSupplier invoker;

    /**
     * @param invoker runs one duty cycle of every agent when the caller drives them (invoker mode), or null
     *                when they have threads of their own.
     */
    public ForwardingProxy(final ForwardingAgent[] agents, final IntSupplier invoker)
    {
        this.agents = agents.clone();
        this.invoker = invoker;
    }

    /** True if the caller drives the agents (invoker mode). */
    public boolean isInvoked()
    {
        return null != invoker;
    }

    public int threads()
    {
        return agents.length;
    }

    /** Gives every thread a bridge; fire-and-forget. */
    public void addBridge(final int bridgeId)
    {
        for (final ForwardingAgent agent : agents)
        {
            send(agent, () -> agent.addBridge(bridgeId));
        }
    }

    /** Takes a bridge, which has no ports left, from every thread; fire-and-forget. */
    public void removeBridge(final int bridgeId)
    {
        for (final ForwardingAgent agent : agents)
        {
            send(agent, () -> agent.removeBridge(bridgeId));
        }
    }

    /** Attaches a port to every thread, thread i with {@code entries[i]}; if one refuses, no thread keeps it. */
    public void attach(final PortEntry[] entries)
    {
        try
        {
            for (int i = 0; i < agents.length; i++)
            {
                final ForwardingAgent agent = agents[i];
                final PortEntry entry = entries[i];
                await(agent, () -> agent.attach(entry));
            }
        }
        catch (final RuntimeException ex)
        {
            detach(entries[0].id);
            throw ex;
        }
    }

    /** Removes a port from every thread; once this returns no thread touches it. */
    public void detach(final int portId)
    {
        for (final ForwardingAgent agent : agents)
        {
            await(agent, () -> agent.detach(portId));
        }
    }

    /** Starts or stops thread {@code thread} receiving from a port with one queue. */
    public void poll(final int thread, final int portId, final boolean poll)
    {
        final ForwardingAgent agent = agents[thread];
        await(agent, () -> agent.poll(portId, poll));
    }

    /** Starts or stops thread {@code thread} receiving from several ports in one command, awaited once. */
    public void poll(final int thread, final int[] portIds, final boolean poll)
    {
        final ForwardingAgent agent = agents[thread];
        await(agent, () ->
        {
            for (final int portId : portIds)
            {
                agent.poll(portId, poll);
            }
        });
    }

    /** Starts recording a port's frames on every thread, or with null stops. */
    public void capture(final int portId, final FrameRecorder recorder)
    {
        for (final ForwardingAgent agent : agents)
        {
            await(agent, () -> agent.capture(portId, recorder));
        }
    }

    /**
     * Runs a change of a port's own state (a VXLAN port's peers) on the thread that receives from it,
     * between two of its receives, and returns the change's answer.
     */
    public int changePort(final int thread, final IntSupplier change)
    {
        return call(agents[thread], change::getAsInt);
    }

    /** Each thread's time per burst since the last call, added into {@code into}. */
    public void takeBurstLatency(final Histogram into)
    {
        for (final ForwardingAgent agent : agents)
        {
            into.add(agent.takeBurstLatency());
        }
    }

    /**
     * Waits until every thread has run a command: the burst each was in has ended, so none still uses
     * what the control thread unpublished before the call.
     */
    public void quiesce()
    {
        for (final ForwardingAgent agent : agents)
        {
            await(agent, () -> { });
        }
    }

    /** Something of every thread, in thread order. */
    public <T> List<T> perThread(final IntFunction<T> view)
    {
        final List<T> result = new ArrayList<>(agents.length);
        for (int i = 0; i < agents.length; i++)
        {
            result.add(view.apply(i));
        }
        return result;
    }

    /** Queues a command for a forwarding thread without waiting for it to run. */
    private void send(final ForwardingAgent agent, final Runnable command)
    {
        final long deadline = System.currentTimeMillis() + COMMAND_TIMEOUT_MS;
        final IdleStrategy idle = idleStrategy();
        while (!agent.submit(command))
        {
            awaitProgress(deadline, idle);
        }
    }

    /** Runs a command on a forwarding thread and waits until it is applied. */
    private void await(final ForwardingAgent agent, final Runnable change)
    {
        call(agent, () ->
        {
            change.run();
            return null;
        });
    }

    /** Runs a command on a forwarding thread, waits until it is applied and returns its answer. */
    private <T> T call(final ForwardingAgent agent, final Supplier<T> change)
    {
        final CompletableFuture<T> applied = new CompletableFuture<>();
        final Runnable command = () ->
        {
            try
            {
                applied.complete(change.get());
            }
            catch (final Throwable ex)
            {
                applied.completeExceptionally(ex);
            }
        };
        send(agent, command);
        final long deadline = System.currentTimeMillis() + COMMAND_TIMEOUT_MS;
        final IdleStrategy idle = idleStrategy();
        while (!applied.isDone())
        {
            awaitProgress(deadline, idle);
        }
        try
        {
            return applied.get();
        }
        catch (final ExecutionException ex)
        {
            throw new CommandException("forwarding thread failed: " + ex.getCause(), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new CommandException("interrupted while a forwarding thread applied a change", ex);
        }
    }

    private IdleStrategy idleStrategy()
    {
        return null == invoker ? new BackoffIdleStrategy(MAX_SPINS, MAX_YIELDS, MIN_PARK_NS, MAX_PARK_NS) : null;
    }

    private void awaitProgress(final long deadline, final IdleStrategy idle)
    {
        if (null != invoker)
        {
            invoker.getAsInt();
            return;
        }
        if (System.currentTimeMillis() > deadline)
        {
            throw new CommandException("forwarding thread did not answer within " + COMMAND_TIMEOUT_MS + " ms", null);
        }
        idle.idle();
    }

    /** A forwarding thread could not apply a command, or did not answer in time. */
    public static final class CommandException extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        CommandException(final String message, final Throwable cause)
        {
            super(message, cause);
        }
    }
}
