package io.vireo.vswitch.control;

import java.util.concurrent.TimeUnit;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;

/**
 * The event loop of a server of the daemon's: one thread, epoll, asleep while no request comes. Netty 4.2 wakes a
 * loop that has no scheduled task once a second (with none, {@code SingleThreadEventExecutor.deadlineNanos} is a
 * second away, its purge interval); a task that does nothing, scheduled a day ahead and every day after, is the
 * deadline instead. That wake-up cost 5-8 ms in 30 s of an idle daemon (benches/README.md, 2026-12-07, fifth).
 */
final class ServerEventLoop
{
    private ServerEventLoop()
    {
    }

    /** A group of one epoll event loop; shut it down as any other. */
    static EventLoopGroup newGroup()
    {
        final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
        group.scheduleAtFixedRate(() -> { }, 1, 1, TimeUnit.DAYS);
        return group;
    }
}
