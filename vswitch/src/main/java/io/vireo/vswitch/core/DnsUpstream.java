package io.vireo.vswitch.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

import io.vireo.dataplane.port.LoopbackPort;
import io.vireo.gateway.dns.DnsForwarding;
import io.vireo.gateway.dns.RouterDns;
import io.vireo.gateway.router.RouterDirectory;
import io.vireo.gateway.router.RouterInterface;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * Passes the queries the routers' DNS servers do not answer themselves (names outside their domain,
 * UDP, recursion asked for) to each router's upstream resolver, from the daemon's own network, and sends
 * the answers back into the client's bridge through the router's injection port, as from the router's
 * address. Each query gets an ID of its own towards the upstream (the client's is put back), an answer
 * is taken only from the upstream the query went to, and a query unanswered within
 * {@link #TIMEOUT_MS} is forgotten (the client asks again). An answer longer than the client's
 * interface's MTU allows is cut to its question with TC set (over TCP such names are refused: see
 * {@link RouterDns}). Its own thread, started with the first upstream.
 */
final class DnsUpstream implements AutoCloseable
{
    static final long TIMEOUT_MS = 5_000;
    private static final int POLL_MS = 10;
    private static final int HEADER = 12;
    private static final int IPV4_UDP = 28;

    private final DnsForwarding queue;
    private final RouterDirectory directory;
    private final IntFunction<LoopbackPort> portOnBridge;
    private final DatagramChannel channel;
    private final Selector selector;
    private final Thread thread;
    private final Map<Integer, Pending> pending = new HashMap<>();
    private final ByteBuffer datagram = ByteBuffer.allocateDirect(65_535);
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[RouterDns.answerMessageOffset() + 65_535]);
    private final MessageHandler sender = (type, record, index, length) -> send(record, index, length);
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong unanswered = new AtomicLong();
    private volatile Map<Integer, InetSocketAddress> upstreams = Map.of();
    private volatile boolean closed;
    private int nextId;

    DnsUpstream(final RouterDirectory directory, final IntFunction<LoopbackPort> portOnBridge)
    {
        this.queue = directory.dnsForwarding();
        this.directory = directory;
        this.portOnBridge = portOnBridge;
        try
        {
            channel = DatagramChannel.open();
            channel.configureBlocking(false);
            selector = Selector.open();
            channel.register(selector, SelectionKey.OP_READ);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open the DNS upstream socket", ex);
        }
        thread = new Thread(this::run, "vireo-dns-upstream");
        thread.setDaemon(true);
        thread.start();
    }

    /** Each router's upstream by router id; a router without one is not in the map. */
    void upstreams(final Map<Integer, InetSocketAddress> byRouter)
    {
        upstreams = Map.copyOf(byRouter);
    }

    /** Queries sent upstream, answers sent back, queries that got none in time. */
    Map<String, Long> counts()
    {
        return Map.of("sent", sent.get(), "answered", answered.get(), "unanswered", unanswered.get());
    }

    private void run()
    {
        try
        {
            while (!closed)
            {
                selector.select(POLL_MS);
                selector.selectedKeys().clear();
                queue.drain(sender);
                receive();
                expire(System.currentTimeMillis());
            }
        }
        catch (final IOException ex)
        {
            if (!closed)
            {
                System.err.println("vireo: DNS upstream forwarding stopped: " + ex);
            }
        }
    }

    private void send(final MutableDirectBuffer record, final int index, final int length)
    {
        final InetSocketAddress upstream = upstreams.get(record.getInt(index + DnsForwarding.ROUTER_ID));
        final int messageLength = length - DnsForwarding.MESSAGE;
        if (null == upstream || messageLength < HEADER || pending.size() >= 65_536)
        {
            return;
        }
        int id = nextId;
        while (pending.containsKey(id))
        {
            id = (id + 1) & 0xFFFF;
        }
        nextId = (id + 1) & 0xFFFF;
        final UnsafeBuffer copy = new UnsafeBuffer(new byte[DnsForwarding.MESSAGE]);
        copy.putBytes(0, record, index, DnsForwarding.MESSAGE);
        final int clientId = record.getShort(index + DnsForwarding.MESSAGE, BIG_ENDIAN) & 0xFFFF;
        datagram.clear();
        record.getBytes(index + DnsForwarding.MESSAGE, datagram, messageLength);
        datagram.putShort(0, (short)id).flip();
        try
        {
            if (channel.send(datagram, upstream) > 0)
            {
                pending.put(id, new Pending(copy, clientId, upstream, System.currentTimeMillis() + TIMEOUT_MS));
                sent.incrementAndGet();
            }
        }
        catch (final IOException ex)
        {
            unanswered.incrementAndGet();
        }
    }

    private void receive() throws IOException
    {
        while (true)
        {
            datagram.clear();
            final SocketAddress from = channel.receive(datagram);
            if (null == from)
            {
                return;
            }
            datagram.flip();
            final int length = datagram.remaining();
            if (length < HEADER)
            {
                continue;
            }
            final Pending query = pending.get(datagram.getShort(0) & 0xFFFF);
            if (null == query || !query.upstream.equals(from))
            {
                continue;
            }
            pending.remove(datagram.getShort(0) & 0xFFFF);
            answer(query, length);
        }
    }

    /** Sends the answer in {@link #datagram} to the query's client, as from the router. */
    private void answer(final Pending query, final int length)
    {
        final int bridgeId = query.record.getInt(DnsForwarding.BRIDGE_ID);
        final RouterInterface in = directory.snapshot().interfaceOn(bridgeId);
        final LoopbackPort port = portOnBridge.apply(bridgeId);
        if (null == in || null == port)
        {
            return;
        }
        final int message = RouterDns.answerMessageOffset();
        frame.putBytes(message, datagram, 0, length);
        frame.putShort(message, (short)query.clientId, BIG_ENDIAN);
        final int messageLength = length <= in.mtu() - IPV4_UDP ? length : truncated(message, length);
        if (messageLength > 0 && port.inject(frame, 0, RouterDns.answerFrame(frame, 0, messageLength, query.record, 0)))
        {
            answered.incrementAndGet();
        }
    }

    /**
     * Cuts an answer to its header and question with TC set.
     *
     * @return its new length, or 0 if it has no whole question.
     */
    private int truncated(final int message, final int length)
    {
        int position = message + HEADER;
        final int end = message + length;
        while (position < end && 0 != frame.getByte(position))
        {
            final int label = frame.getByte(position) & 0xFF;
            if (label > 63)
            {
                return 0;
            }
            position += 1 + label;
        }
        position += 5;   // the root label, QTYPE and QCLASS
        if (position > end || 1 != frame.getShort(message + 4, BIG_ENDIAN))
        {
            return 0;
        }
        frame.putByte(message + 2, (byte)(frame.getByte(message + 2) | 0x02));
        frame.putShort(message + 6, (short)0);    // ANCOUNT
        frame.putShort(message + 8, (short)0);    // NSCOUNT
        frame.putShort(message + 10, (short)0);   // ARCOUNT
        return position - message;
    }

    private void expire(final long nowMs)
    {
        for (final Iterator<Pending> it = pending.values().iterator(); it.hasNext();)
        {
            if (it.next().deadlineMs < nowMs)
            {
                it.remove();
                unanswered.incrementAndGet();
            }
        }
    }

    @Override
    public void close()
    {
        closed = true;
        selector.wakeup();
        try
        {
            thread.join(1_000);
            selector.close();
            channel.close();
        }
        catch (final IOException ex)
        {
            System.err.println("vireo: closing the DNS upstream socket: " + ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /** A query sent upstream: the record that finds its client, the client's ID, where it went, until when. */
    private record Pending(UnsafeBuffer record, int clientId, SocketAddress upstream, long deadlineMs)
    {
    }
}
