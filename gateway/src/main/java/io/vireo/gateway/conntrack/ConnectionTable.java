package io.vireo.gateway.conntrack;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.vireo.gateway.conntrack.ConnectionEntries.ADDRESSES_OFFSET;
import static io.vireo.gateway.conntrack.ConnectionEntries.NO_ENTRY;
import static io.vireo.gateway.conntrack.ConnectionEntries.PORTS_OFFSET;
import static io.vireo.gateway.conntrack.ConnectionEntries.STALE;
import static io.vireo.gateway.conntrack.ConnectionEntries.addresses;
import static io.vireo.gateway.conntrack.ConnectionEntries.direction;
import static io.vireo.gateway.conntrack.ConnectionEntries.entry;
import static io.vireo.gateway.conntrack.ConnectionEntries.meta;
import static io.vireo.gateway.conntrack.ConnectionEntries.ports;
import static io.vireo.gateway.conntrack.ConnectionIndex.NO_SLOT;
import static io.vireo.gateway.conntrack.ConnectionStates.isLive;
import static io.vireo.gateway.conntrack.ConnectionStates.isRetired;

/**
 * The connection table for NAT: IPv4 connections by (zone, protocol, tuple) in either direction, each
 * with its original and reply tuple, a protocol state and a timeout, close to Linux conntrack; off
 * heap, shared by the forwarding threads, aged by one control thread.
 *
 * <h2>Layout</h2>
 * {@link #capacity()} entries of 64 bytes (one cache line: both tuples, state word, version;
 * {@link ConnectionEntries}) and an index of 64-byte buckets of seven 8-byte slots, one slot per
 * direction of each connection, two candidate buckets per tuple ({@link ConnectionIndex}); one bucket
 * per 1.5 connections of capacity keeps the index 43 % full at capacity. So about 107 bytes a
 * connection: 1,000,000 connections take 64 MB + 42.7 MB ({@link #memoryBytes()}), allocated at
 * construction.
 *
 * <h2>Concurrency</h2>
 * Any number of forwarding threads may {@link #lookup}, {@link #create}, {@link #seen} and read handles
 * at once, while one control thread calls {@link #expire}, {@link #flush} and the {@code forEach}s.
 * <ul>
 *   <li>{@link #lookup} never waits and never allocates: it reads the index without a lock and checks
 *   the entry with one seqlock read; an entry that changes under it is not its connection, so it
 *   never retries. A lookup racing with the removal of its connection, or with a create of it, may
 *   miss it.</li>
 *   <li>{@link #create} owns the (up to four) index buckets of its two tuples for a few stores, so
 *   checking both tuples and inserting both is one atomic step: of two creates sharing a tuple, one
 *   gets {@link #TAKEN}. A create that opens a TCP connection may retire, by CAS of its state word, a
 *   closed connection that holds its reply tuple: lookups no longer find that one, and the control
 *   thread removes it on its next expiry pass.</li>
 *   <li>{@link #seen} is a CAS of the entry's state word.</li>
 *   <li>Removal (timeout, flush) is the control thread's alone: it ends the connection by CAS of the
 *   state word, takes its keys out of the index, then frees the entry for reuse.</li>
 * </ul>
 *
 * <h2>Handles</h2>
 * A handle is {@code generation << 32 | entry << 1 | direction}: the low 32 bits are
 * {@code (entry index << 1) | direction}, the high 32 the entry's generation, which changes each time
 * the entry is reused. Handles are never negative. A stage rewrites a packet thus:
 * <pre>{@code
 * final long handle = table.lookup(zone, protocol, source, destination, sourcePort, destinationPort);
 * final int newSource = table.translatedSource(handle);
 * final int newDestination = table.translatedDestination(handle);
 * final int newSourcePort = table.translatedSourcePort(handle);
 * final int newDestinationPort = table.translatedDestinationPort(handle);
 * if (table.isCurrent(handle))   // after the reads: all four are this connection's
 * {
 *     table.seen(handle, tcpFlags, nowMs);
 *     // rewrite
 * }
 * }</pre>
 * A tuple never changes while its connection lives, and a translated-tuple read returns 0 once the
 * entry holds another connection; a generation never comes back (bar 2<sup>31</sup> reuses of one
 * entry while a thread holds a handle), so {@link #isCurrent} true after the reads means every value
 * read is this connection's and it was still live.
 *
 * <h2>Size</h2>
 * The table never evicts: at capacity a create returns {@link #FULL}, counted in {@link #fullCount()},
 * and existing connections are untouched. Entries held by creates in progress (including ones that
 * will end TAKEN) count, so near capacity a create may be refused for a moment. FULL is also
 * returned, and counted, in the unlikely case that both index buckets of a tuple are full (none in a
 * million random connections at capacity, nor in churn tests). A retired connection holds its entry and
 * counts in {@link #size()} until the control thread's expiry pass comes to it.
 * <p>
 * {@link #close()} frees the memory; every thread must have stopped using the table and its handles.
 */
public final class ConnectionTable implements AutoCloseable
{
    /** {@link #lookup}: no connection. */
    public static final long MISS = -1;
    /** {@link #create}: the table holds its capacity; the new connection is refused and counted. */
    public static final long FULL = -2;
    /** {@link #create}: the original or the reply tuple is in the table already; nothing created. */
    public static final long TAKEN = -3;

    /** No connection: a stale handle's state. */
    public static final int NONE = 0;
    /** TCP: a SYN seen from the original side. */
    public static final int TCP_SYN_SENT = 1;
    /** TCP: the SYN/ACK seen from the reply side. */
    public static final int TCP_SYN_RECV = 2;
    /** TCP: the handshake's last ACK seen. */
    public static final int TCP_ESTABLISHED = 3;
    /** TCP: a FIN seen from one side. */
    public static final int TCP_FIN_WAIT = 4;
    /** TCP: the other side acknowledged the first FIN. */
    public static final int TCP_CLOSE_WAIT = 5;
    /** TCP: both sides sent a FIN; waiting for the last ACK. */
    public static final int TCP_LAST_ACK = 6;
    /** TCP: the last ACK seen. */
    public static final int TCP_TIME_WAIT = 7;
    /** TCP: reset. */
    public static final int TCP_CLOSE = 8;
    /** UDP: packets seen in the original direction only. */
    public static final int UDP_UNREPLIED = 9;
    /** UDP: both directions seen. */
    public static final int UDP_ASSURED = 10;
    /** ICMP (echo), keyed by the echo identifier as both ports. */
    public static final int ICMP = 11;
    /** Any other protocol. */
    public static final int OTHER = 12;

    /** Largest capacity. */
    public static final int MAX_CAPACITY = 1 << 24;
    /** {@link #track}: this packet ended the connection's open life. */
    public static final int ENDED = 0x100;
    /** {@link #flush(int, long)}: whatever the label. */
    public static final long ANY_LABEL = -1L;
    /** The label of a connection created without one. */
    public static final int NO_LABEL = 0;

    /** Told of every connection the control thread removes (timeout, flush), on that thread. */
    @FunctionalInterface
    public interface RemovalListener
    {
        /**
         * @param zone   the connection's zone.
         * @param label  its label, {@link #NO_LABEL} if it had none.
         * @param open   it had not begun to close ({@link #isOpen}): no packet of it was {@link #track ENDED}.
         */
        void removed(int zone, int label, boolean open);
    }

    private final ConnectionEntries entries;
    private final ConnectionIndex index;
    private final AtomicInteger size = new AtomicInteger();
    private final AtomicLong full = new AtomicLong();
    private final AtomicLong retired = new AtomicLong();
    private int expiryCursor;
    private boolean closed;
    private RemovalListener removalListener = (zone, label, open) -> { };

    /**
     * @param capacity the most connections the table holds, 1 to {@link #MAX_CAPACITY}.
     */
    public ConnectionTable(final int capacity)
    {
        if (capacity < 1 || capacity > MAX_CAPACITY)
        {
            throw new IllegalArgumentException("capacity must be 1.." + MAX_CAPACITY + ": " + capacity);
        }
        entries = new ConnectionEntries(capacity);
        index = new ConnectionIndex((int)((2L * capacity + 2) / 3), entries);
    }

    /**
     * Finds the connection a packet belongs to, in either direction. Forwarding path: no allocation,
     * no lock, no wait. Ports are 0 to 65535; for ICMP pass the echo identifier as both ports.
     *
     * @param zone the router's id.
     * @return a handle: {@code (entry index << 1) | direction} in the low 32 bits (direction 0 =
     * original, the first packet's direction, 1 = reply) and the entry's generation in the high 32; or
     * {@link #MISS}.
     */
    public long lookup(
        final int zone, final int protocol, final int sourceIp, final int destinationIp, final int sourcePort,
        final int destinationPort)
    {
        if (closed)
        {
            return MISS;
        }
        final long meta = meta(zone, protocol);
        final long addresses = addresses(sourceIp, destinationIp);
        final int ports = ports(sourcePort, destinationPort);
        return index.find(ConnectionIndex.hash(meta, addresses, ports), meta, addresses, ports);
    }

    /**
     * A tuple's key for {@link #touch}: the hash {@link #lookup} of the same tuple computes.
     */
    public static long key(
        final int zone, final int protocol, final int sourceIp, final int destinationIp, final int sourcePort,
        final int destinationPort)
    {
        return ConnectionIndex.hash(meta(zone, protocol), addresses(sourceIp, destinationIp), ports(sourcePort,
            destinationPort));
    }

    /**
     * A burst's lookups ahead of time: loads into the cache what {@link #lookup} of each key will read,
     * so that the cache misses of a burst's lookups overlap instead of coming one after the other (in a
     * large table each lookup that hits is two dependent misses, its index bucket and its entry). Two
     * passes over the keys: the first loads each key's first bucket; the second, those buckets now in
     * cache, loads the entries their slots tagged for the key point to, or, for a key with no such slot
     * (a new connection, mostly), its second bucket, which a lookup that misses reads too. Each pass is
     * a few instructions per key, so the CPU's reorder window holds the loads of many keys at once.
     * Forwarding path: no allocation, no lock, no store; a stale key costs only its loads.
     *
     * @param keys  {@link #key}s; the first {@code count} are used.
     * @param count how many.
     * @return the words loaded, XORed: store it in a field. The JIT drops a load whose value nothing uses, and a
     * load it drops brings no cache line in.
     */
    public long touch(final long[] keys, final int count)
    {
        if (closed)
        {
            return 0;
        }
        long loaded = 0;
        for (int i = 0; i < count; i++)
        {
            loaded ^= index.touchFirst(keys[i]);
        }
        for (int i = 0; i < count; i++)
        {
            loaded ^= index.touchFound(keys[i]);
        }
        return loaded;
    }

    /**
     * Creates a connection with its original tuple (as the first packet was seen) and its reply tuple
     * (as replies will be seen, after translation: for source NAT of A:a -> R:r as X:x, the reply
     * tuple is R:r -> X:x, so {@code replySrc} R, {@code replyDst} X). Both tuples find the entry.
     * Atomic for the pair: if either tuple exists already, nothing is created and {@link #TAKEN} is
     * returned (also when the table is full), so a caller choosing a NAT port retries with another,
     * and two threads never both get one reply tuple (the labelled create's {@code opening} makes one
     * exception, for a reply tuple a closed connection holds). The first state is TCP_SYN_SENT, UDP_UNREPLIED,
     * ICMP or OTHER by protocol; pass the first packet to {@link #seen} as well. Forwarding path: no
     * allocation; waits only for other writers' few stores to the same buckets.
     *
     * @return the handle of the original direction, {@link #TAKEN} or {@link #FULL}.
     */
    public long create(
        final int zone, final int protocol, final int origSrc, final int origDst, final int origSport,
        final int origDport, final int replySrc, final int replyDst, final int replySport, final int replyDport,
        final long nowMs)
    {
        return create(zone, protocol, origSrc, origDst, origSport, origDport, replySrc, replyDst, replySport, replyDport,
            NO_LABEL, false, nowMs);
    }

    /**
     * {@link #create} with a label: a number of the creator's that stays with the connection, read back with
     * {@link #label} and told to the {@link RemovalListener} when it ends (a load
     * balancer's backend, say).
     *
     * @param opening the first packet opens a TCP connection (SYN without ACK): if the reply tuple is the
     *                reply tuple of a TCP connection in TIME_WAIT or CLOSE, that connection is retired and
     *                this one created, as Linux's conntrack lets a SYN reopen a tuple in TIME_WAIT. A client
     *                that connects again from the port of a closed connection to a service or published
     *                port with the same backend makes such a clash, and the backend's port cannot be
     *                changed as a masquerade's can; a masquerade whose ports towards one server are all
     *                taken does so too.
     */
    public long create(
        final int zone, final int protocol, final int origSrc, final int origDst, final int origSport,
        final int origDport, final int replySrc, final int replyDst, final int replySport, final int replyDport,
        final int label, final boolean opening, final long nowMs)
    {
        final long meta = meta(zone, protocol);
        final long original = addresses(origSrc, origDst);
        final long reply = addresses(replySrc, replyDst);
        final int originalPorts = ports(origSport, origDport);
        final int replyPorts = ports(replySport, replyDport);
        final long originalHash = ConnectionIndex.hash(meta, original, originalPorts);
        final long replyHash = ConnectionIndex.hash(meta, reply, replyPorts);
        final int entry = entries.allocate();
        if (NO_ENTRY == entry)
        {
            // A caller that lost a race for an existing connection looks it up again, full or not.
            if (MISS != index.find(originalHash, meta, original, originalPorts) ||
                MISS != index.find(replyHash, meta, reply, replyPorts))
            {
                return TAKEN;
            }
            full.incrementAndGet();
            return FULL;
        }

        final int generation = entries.write(
            entry, meta, original, reply, ConnectionEntries.portPair(originalPorts, replyPorts), label, nowMs);
        final int a = index.first(originalHash);
        final int b = index.second(originalHash);
        final int c = index.first(replyHash);
        final int d = index.second(replyHash);

        long result = TAKEN;
        index.lockAll(a, b, c, d);
        final long replyHolder = index.find(replyHash, meta, reply, replyPorts);
        if (MISS == index.find(originalHash, meta, original, originalPorts) &&
            (MISS == replyHolder || opening && retireClosed(replyHolder)))
        {
            final int originalSlot = index.freeSlot(originalHash, NO_SLOT);
            final int replySlot = NO_SLOT == originalSlot ? NO_SLOT : index.freeSlot(replyHash, originalSlot);
            result = FULL;
            if (NO_SLOT != replySlot)
            {
                index.put(originalSlot, originalHash, entry << 1);
                index.put(replySlot, replyHash, (entry << 1) | 1);
                // Live before the buckets open, so a create of the same tuple finds it.
                entries.activate(entry, ConnectionStates.initial(protocol, generation, nowMs));
                result = ConnectionEntries.handle(generation, entry, 0);
            }
        }
        index.unlockAll(a, b, c, d);

        if (result < 0)
        {
            entries.free(entry);
            if (FULL == result)
            {
                full.incrementAndGet();
            }
            return result;
        }
        size.incrementAndGet();
        return result;
    }

    /**
     * Retires the connection whose reply tuple a new connection's reply tuple clashes with, if it is a closed TCP
     * connection. Called with the tuple's buckets owned, so the key stays while this runs.
     *
     * @param holder the handle the clashing tuple found.
     * @return true if the tuple is free now.
     */
    private boolean retireClosed(final long holder)
    {
        if (1 != direction(holder))
        {
            return false;
        }
        while (true)
        {
            final long state = entries.stateOf(holder);
            if (STALE == state)
            {
                return true;
            }
            if (!ConnectionStates.isClosed(state))
            {
                return false;
            }
            if (entries.compareAndSetState(entry(holder), state, ConnectionStates.retired(state)))
            {
                retired.incrementAndGet();
                return true;
            }
        }
    }

    /**
     * The source a packet in this handle's direction leaves with: direction 0, the reply tuple's
     * destination (the NAT address of source NAT); direction 1, the original tuple's destination.
     *
     * @return the address, or 0 if the handle's entry holds another connection by now (then
     * {@link #isCurrent} is false): check {@link #isCurrent} after the reads.
     */
    public int translatedSource(final long handle)
    {
        return handle < 0 ? 0 : (int)(entries.word(handle, otherAddresses(handle)) >>> 32);
    }

    /**
     * The destination a packet in this handle's direction leaves with: the other direction's source.
     * Valid as {@link #translatedSource}.
     */
    public int translatedDestination(final long handle)
    {
        return handle < 0 ? 0 : (int)entries.word(handle, otherAddresses(handle));
    }

    /**
     * The source port a packet in this handle's direction leaves with: the other direction's
     * destination port. Valid as {@link #translatedSource}.
     */
    public int translatedSourcePort(final long handle)
    {
        return otherPorts(handle) & 0xFFFF;
    }

    /**
     * The destination port a packet in this handle's direction leaves with: the other direction's
     * source port. Valid as {@link #translatedSource}.
     */
    public int translatedDestinationPort(final long handle)
    {
        return otherPorts(handle) >>> 16;
    }

    /**
     * The label the connection was created with. Valid as {@link #translatedSource}.
     */
    public int label(final long handle)
    {
        return handle < 0 ? NO_LABEL : (int)(entries.word(handle, ConnectionEntries.LABEL_WORD_OFFSET) >>> 32);
    }

    /**
     * Sets who is told of removed connections; before the control thread first expires or flushes.
     */
    public void removalListener(final RemovalListener listener)
    {
        this.removalListener = listener;
    }

    /**
     * @return true if the handle's connection is still in the table: the translated-tuple values read
     * before this call are its own.
     */
    public boolean isCurrent(final long handle)
    {
        return handle >= 0 && STALE != entries.stateOf(handle);
    }

    /**
     * Records a packet of the connection: refreshes its timeout and, for TCP, advances its state from
     * the packet's flags (SYN, SYN/ACK, ACK, FIN, RST) in this direction; for UDP a reply makes it
     * assured. A busy connection's expiry is written when it would move by at least 1/64 of the
     * timeout or a second, whichever is less, not on every packet. Forwarding path: no allocation; a
     * CAS, retried only if another thread changed the state word meanwhile.
     *
     * @param tcpFlags the TCP header's flags byte ({@code TcpFlyweight.FLAG_*}); ignored for other
     *                 protocols.
     * @return the new state, or {@link #NONE} if the connection is gone.
     */
    public int seen(final long handle, final int tcpFlags, final long nowMs)
    {
        return track(handle, tcpFlags, nowMs) & ~ENDED;
    }

    /**
     * {@link #seen}, telling also whether this packet ended the connection's open life: the first FIN or
     * RST of a TCP connection that was opening or established moves it to a closing state once, and the
     * one call that made that move returns the new state with {@link #ENDED} set. A load balancer counts
     * a backend's open connections so.
     *
     * @return the new state, with {@link #ENDED} if this packet closed it; {@link #NONE} if it is gone.
     */
    public int track(final long handle, final int tcpFlags, final long nowMs)
    {
        if (handle < 0)
        {
            return NONE;
        }
        final int entry = entry(handle);
        final int direction = direction(handle);
        while (true)
        {
            final long state = entries.stateOf(handle);
            if (STALE == state)
            {
                return NONE;
            }
            final long next = ConnectionStates.next(state, direction, tcpFlags, nowMs);
            if (next == state)
            {
                return ConnectionStates.state(next);
            }
            if (entries.compareAndSetState(entry, state, next))
            {
                final int nextState = ConnectionStates.state(next);
                return isOpen(ConnectionStates.state(state)) && !isOpen(nextState) ? nextState | ENDED : nextState;
            }
        }
    }

    /**
     * @return true for a connection that has not begun to close: any but a TCP connection past its first
     * FIN or RST.
     */
    public static boolean isOpen(final int state)
    {
        return state < TCP_FIN_WAIT || state > TCP_CLOSE;
    }

    /**
     * @return the connection's state, or {@link #NONE} if it is gone.
     */
    public int state(final long handle)
    {
        final long state = handle < 0 ? STALE : entries.stateOf(handle);
        return STALE == state ? NONE : ConnectionStates.state(state);
    }

    /**
     * Removes the connections whose timeout has passed at {@code nowMs}, and those a new connection
     * retired, looking at the next {@code maxSlots} entries from where the last call stopped (wrapping):
     * a whole pass is {@link #capacity()} entries. Control thread.
     *
     * @return connections removed.
     */
    public int expire(final long nowMs, final int maxSlots)
    {
        if (0 == size.get())
        {
            // Nothing live or retired to remove. An idle switch's conductor read a hundredth of the entries every
            // tick for nothing, half of its CPU (benches/README.md, 2026-12-07). The cursor stays: an entry made
            // meanwhile is reached when its slice comes, a tick later at most.
            return 0;
        }
        final int capacity = entries.capacity();
        int removed = 0;
        for (int visited = 0; visited < maxSlots && visited < capacity; visited++)
        {
            final int entry = expiryCursor;
            expiryCursor = entry + 1 == capacity ? 0 : entry + 1;
            final long state = entries.state(entry);
            if ((isRetired(state) || isLive(state) && ConnectionStates.isExpired(state, nowMs)) && remove(entry, state))
            {
                removed++;
            }
        }
        return removed;
    }

    /**
     * Removes every connection of a zone (its router went away). One pass over all entries. Control
     * thread; connections created in the zone while this runs may survive.
     *
     * @return connections removed.
     */
    public int flush(final int zone)
    {
        return flush(zone, ANY_LABEL);
    }

    /**
     * Removes the connections of a zone that carry this label (a backend went away), as {@link #flush(int)}.
     *
     * @param label the label, or {@link #ANY_LABEL} for every connection of the zone.
     * @return connections removed.
     */
    public int flush(final int zone, final long label)
    {
        int removed = 0;
        for (int entry = 0; entry < entries.capacity(); entry++)
        {
            long state = entries.state(entry);
            while ((isLive(state) || isRetired(state)) && (int)entries.metaOf(entry) == zone &&
                (ANY_LABEL == label || entries.labelOf(entry) == label))
            {
                if (remove(entry, state))
                {
                    removed++;
                    break;
                }
                state = entries.state(entry);
            }
        }
        return removed;
    }

    /**
     * Reports every connection, each a consistent copy of it. One pass over all entries. Control
     * thread.
     */
    public void forEach(final ConnectionConsumer consumer)
    {
        for (int entry = 0; entry < entries.capacity(); entry++)
        {
            final long state = entries.state(entry);
            if (isLive(state))
            {
                report(entry, state, consumer);
            }
        }
    }

    /**
     * Reports the connections of one zone held in entries {@code from} on, at most {@code limit} of them, each a
     * consistent copy: a page of a listing too long for one answer. Entries never move, so a listing that goes on
     * from the returned entry reports each connection at most once, and each one that lives through the whole
     * listing exactly once. Control thread.
     *
     * @param from  the first entry to look at, 0 to {@link #capacity()}.
     * @param limit the most connections to report, at least 1.
     * @return the entry to go on from: {@link #capacity()} once every entry has been looked at.
     */
    public int forEach(final int zone, final int from, final int limit, final ConnectionConsumer consumer)
    {
        if (from < 0 || from > entries.capacity() || limit < 1)
        {
            throw new IllegalArgumentException("from " + from + " of 0.." + entries.capacity() + ", limit " + limit);
        }
        int reported = 0;
        int entry = from;
        while (entry < entries.capacity() && reported < limit)
        {
            final long state = entries.state(entry);
            if (isLive(state) && (int)entries.metaOf(entry) == zone)
            {
                report(entry, state, consumer);
                reported++;
            }
            entry++;
        }
        return entry;
    }

    private void report(final int entry, final long state, final ConnectionConsumer consumer)
    {
        final long meta = entries.metaOf(entry);
        final long original = entries.addressesOf(entry, 0);
        final long reply = entries.addressesOf(entry, 1);
        final int originalPorts = entries.portsOf(entry, 0);
        final int replyPorts = entries.portsOf(entry, 1);
        consumer.accept(
            (int)meta, (int)(meta >>> 32) & 0xFF,
            (int)original, (int)(original >>> 32), originalPorts >>> 16, originalPorts & 0xFFFF,
            (int)reply, (int)(reply >>> 32), replyPorts >>> 16, replyPorts & 0xFFFF,
            ConnectionStates.state(state), ConnectionStates.expiresAtMs(state, entries.createdMs(entry)));
    }

    /**
     * @return connections in the table.
     */
    public int size()
    {
        return size.get();
    }

    /**
     * @return the most connections the table holds.
     */
    public int capacity()
    {
        return entries.capacity();
    }

    /**
     * @return creates refused as {@link #FULL}.
     */
    public long fullCount()
    {
        return full.get();
    }

    /**
     * @return closed connections a new one took the reply tuple of (see {@link #create}'s {@code opening}).
     */
    public long retiredCount()
    {
        return retired.get();
    }

    /**
     * @return bytes of off-heap memory the entries and the index take.
     */
    public long memoryBytes()
    {
        return entries.memoryBytes() + index.memoryBytes();
    }

    /**
     * Frees the memory. Every thread must have stopped using the table and its handles.
     */
    public void close()
    {
        if (!closed)
        {
            closed = true;
            index.close();
            entries.close();
        }
    }

    /**
     * @return a state's name for listings: "ESTABLISHED", "UNREPLIED", ...
     */
    public static String stateName(final int state)
    {
        return ConnectionStates.name(state);
    }

    /**
     * @return how long a connection in this state lives without a packet, in ms.
     */
    public static long timeoutMs(final int state)
    {
        return ConnectionStates.timeoutMs(state);
    }

    /**
     * End a live connection whose state word is still {@code state}, take it out of the index and free
     * its entry. Control thread: nobody else removes, so its tuples hold still meanwhile.
     */
    private boolean remove(final int entry, final long state)
    {
        if (!entries.compareAndSetState(entry, state, ConnectionStates.dead(state)))
        {
            return false;
        }
        final long meta = entries.metaOf(entry);
        for (int direction = 0; direction < 2; direction++)
        {
            final long addresses = entries.addressesOf(entry, direction);
            final int ports = entries.portsOf(entry, direction);
            index.remove(ConnectionIndex.hash(meta, addresses, ports), (entry << 1) | direction);
        }
        final int label = entries.labelOf(entry);
        entries.free(entry);
        size.decrementAndGet();
        removalListener.removed((int)meta, label, isLive(state) && isOpen(ConnectionStates.state(state)));
        return true;
    }

    private static int otherAddresses(final long handle)
    {
        return ADDRESSES_OFFSET + 8 * (1 - direction(handle));
    }

    private int otherPorts(final long handle)
    {
        return handle < 0 ? 0 : (int)(entries.word(handle, PORTS_OFFSET) >>> (32 * (1 - direction(handle))));
    }
}
