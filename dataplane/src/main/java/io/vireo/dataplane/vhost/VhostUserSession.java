package io.vireo.dataplane.vhost;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.vireo.dataplane.nativeio.EventFd;
import io.vireo.dataplane.nativeio.NativeException;
import io.vireo.dataplane.nativeio.UnixSocket;
import org.agrona.collections.IntArrayList;

import static io.vireo.dataplane.vhost.VhostUserMessage.*;

/**
 * The device state one frontend connection builds with its messages, on the control thread: features,
 * memory table, and per queue its size, addresses, base, call eventfd, kicked and enabled flags.
 * <p>
 * A message that touches rings or memory runs between {@link #stopRings()} and {@link #startRings()}:
 * the port is quiesced (the forwarding thread is out of both queues and will not enter them again),
 * the running queues hand their position back into the state, the message edits the state (unmapping
 * old memory, closing an old call eventfd), and every queue that is now complete, kicked and enabled
 * is rebuilt from the state and published. Messages are rare, so this stop-edit-start costs nothing
 * that matters, and there is one way rings change instead of one per message.
 */
final class VhostUserSession
{
    private static final System.Logger LOG = System.getLogger(VhostUserPort.class.getName());

    static final int QUEUES = 2 * Features.QUEUE_PAIRS;

    private final VhostUserPort port;
    private final Virtqueue.Events events;
    private final Queue[] queues = new Queue[QUEUES];
    private long features;
    private GuestMemory memory;

    /** What the frontend has said about one queue. */
    private static final class Queue
    {
        final int index;
        int size;
        long desc;
        long avail;
        long used;
        boolean addressed;
        int base;
        boolean kicked;
        boolean enabled;
        EventFd call;
        Virtqueue running;

        Queue(final int index)
        {
            this.index = index;
        }
    }

    VhostUserSession(final VhostUserPort port, final Virtqueue.Events events)
    {
        this.port = port;
        this.events = events;
        for (int i = 0; i < QUEUES; i++)
        {
            queues[i] = new Queue(i);
        }
    }

    /**
     * Applies one request. Descriptors it keeps are removed from {@code fds}; the caller closes the
     * rest.
     *
     * @return true if {@code reply} holds a reply to send.
     * @throws ViolationException if the request is malformed or hostile; the caller resets the port.
     */
    boolean handle(final VhostUserMessage request, final IntArrayList fds, final VhostUserMessage reply)
    {
        final int code = request.request();
        switch (code)
        {
            case GET_FEATURES:
                return replyU64(reply, code, Features.OFFERED);

            case GET_PROTOCOL_FEATURES:
                return replyU64(reply, code, Features.PROTOCOL_OFFERED);

            case GET_QUEUE_NUM:
                return replyU64(reply, code, Features.QUEUE_PAIRS);

            case GET_VRING_BASE:
                return getVringBase(request, reply);

            case SET_OWNER:
                break;

            case RESET_OWNER:
                reset();
                port.countReset();
                break;

            case SET_FEATURES:
                setFeatures(payloadU64(request));
                break;

            case SET_PROTOCOL_FEATURES:
                setProtocolFeatures(payloadU64(request));
                break;

            case SET_MEM_TABLE:
                setMemTable(request, fds);
                break;

            case SET_VRING_NUM:
            case SET_VRING_BASE:
            case SET_VRING_ENABLE:
                setVringState(request);
                break;

            case SET_VRING_ADDR:
                setVringAddr(request);
                break;

            case SET_VRING_KICK:
            case SET_VRING_CALL:
            case SET_VRING_ERR:
                setVringFile(request, fds);
                break;

            default:
                // Logging (SET_LOG_*) and every protocol feature not offered end here too.
                port.log.log(Level.WARNING, "ignoring {0}", request);
                return request.needsReply() && replyU64(reply, code, 1);
        }
        return request.needsReply() && replyU64(reply, code, 0);
    }

    private static boolean replyU64(final VhostUserMessage reply, final int code, final long value)
    {
        reply.header(code, REPLY_FLAGS, U64_LENGTH).u64(value);
        return true;
    }

    private static long payloadU64(final VhostUserMessage request)
    {
        requireSize(request, U64_LENGTH);
        return request.u64();
    }

    private static void requireSize(final VhostUserMessage request, final long size)
    {
        if (request.size() < size)
        {
            throw new ViolationException(Violation.MESSAGE,
                request + " carries " + request.size() + " bytes, " + size + " expected");
        }
    }

    private Queue queue(final int index)
    {
        if (index < 0 || index >= QUEUES)
        {
            throw new ViolationException(Violation.QUEUE_INDEX, "queue " + index + " of " + QUEUES);
        }
        return queues[index];
    }

    private void setFeatures(final long requested)
    {
        if (0 != (requested & ~Features.OFFERED) || !Features.has(requested, Features.VIRTIO_F_VERSION_1))
        {
            throw new ViolationException(Violation.FEATURES, "SET_FEATURES 0x" + Long.toHexString(requested) +
                " (offered 0x" + Long.toHexString(Features.OFFERED) + ")");
        }
        final String broken = Features.brokenDependency(requested);
        if (null != broken)
        {
            throw new ViolationException(Violation.FEATURES,
                "SET_FEATURES 0x" + Long.toHexString(requested) + ": " + broken);
        }
        stopRings();
        features = requested;
        port.negotiated(requested);
        port.log.log(Level.INFO, "features {0}", Features.describe(requested));
        startRings();
    }

    private void setProtocolFeatures(final long requested)
    {
        if (0 != (requested & ~Features.PROTOCOL_OFFERED))
        {
            throw new ViolationException(Violation.FEATURES, "SET_PROTOCOL_FEATURES 0x" + Long.toHexString(requested));
        }
        LOG.log(Level.DEBUG, "port {0}: protocol features 0x{1}", port.name(), Long.toHexString(requested));
    }

    private void setMemTable(final VhostUserMessage request, final IntArrayList fds)
    {
        requireSize(request, MEMORY_TABLE_HEADER_LENGTH);
        final long count = request.regionCount();
        if (count < 1 || count > MAX_REGIONS)
        {
            throw new ViolationException(Violation.MEMORY_TABLE, count + " regions, 1 to " + MAX_REGIONS + " expected");
        }
        final int regions = (int)count;
        requireSize(request, memoryTableSize(regions));
        if (fds.size() != regions)
        {
            throw new ViolationException(
                Violation.MEMORY_TABLE, regions + " regions came with " + fds.size() + " descriptors");
        }
        final long[] guest = new long[regions];
        final long[] size = new long[regions];
        final long[] user = new long[regions];
        final long[] offset = new long[regions];
        for (int i = 0; i < regions; i++)
        {
            guest[i] = request.regionGuestAddress(i);
            size[i] = request.regionSize(i);
            user[i] = request.regionUserAddress(i);
            offset[i] = request.regionMmapOffset(i);
        }
        final int[] regionFds = fds.toIntArray();
        fds.clear();
        final RegionTable table;
        try
        {
            table = RegionTable.of(guest, size, user, offset);
        }
        catch (final ViolationException ex)
        {
            for (final int fd : regionFds)
            {
                UnixSocket.closeDescriptor(fd);
            }
            throw ex;
        }
        stopRings();
        closeMemory();
        memory = GuestMemory.map(table, regionFds);
        port.log.log(Level.INFO, "memory {0}", memory);
        startRings();
    }

    private void setVringState(final VhostUserMessage request)
    {
        requireSize(request, VRING_STATE_LENGTH);
        final Queue queue = queue(request.vringIndex());
        final int num = request.vringNum();
        if (SET_VRING_NUM == request.request() && !Virtqueue.validSize(num))
        {
            throw new ViolationException(Violation.RING_SIZE, "queue " + queue.index + " size " + num);
        }
        stopRings();
        switch (request.request())
        {
            case SET_VRING_NUM -> queue.size = num;
            case SET_VRING_BASE -> queue.base = num & 0xFFFF;
            default -> queue.enabled = 0 != num;
        }
        startRings();
    }

    private void setVringAddr(final VhostUserMessage request)
    {
        requireSize(request, VRING_ADDRESS_LENGTH);
        final Queue queue = queue(request.vringIndex());
        stopRings();
        queue.desc = request.descAddress();
        queue.used = request.usedAddress();
        queue.avail = request.availAddress();
        queue.addressed = true;
        startRings();
    }

    /** GET_VRING_BASE stops the ring and reports where the frontend should resume. */
    private boolean getVringBase(final VhostUserMessage request, final VhostUserMessage reply)
    {
        requireSize(request, VRING_STATE_LENGTH);
        final Queue queue = queue(request.vringIndex());
        stopRings();
        queue.kicked = false;
        startRings();
        reply.header(GET_VRING_BASE, REPLY_FLAGS, VRING_STATE_LENGTH).vringState(queue.index, queue.base);
        return true;
    }

    private void setVringFile(final VhostUserMessage request, final IntArrayList fds)
    {
        final long payload = payloadU64(request);
        final Queue queue = queue((int)(payload & VRING_FILE_INDEX_MASK));
        final boolean noFd = 0 != (payload & VRING_FILE_NO_FD);
        if (noFd != fds.isEmpty() || fds.size() > 1)
        {
            throw new ViolationException(Violation.MESSAGE, request + " with " + fds.size() + " descriptors");
        }
        final int fd = noFd ? -1 : fds.removeAt(0);
        switch (request.request())
        {
            case SET_VRING_CALL ->
            {
                final EventFd call = noFd ? null : adoptCall(request, fd);
                stopRings();
                if (null != queue.call)
                {
                    queue.call.close();
                }
                queue.call = call;
                startRings();
            }
            case SET_VRING_KICK ->
            {
                // Rings are polled and ask the driver not to kick (VRING_USED_F_NO_NOTIFY): the kick
                // eventfd only says the ring is complete. An idle-sleeping poll loop would keep it.
                closeIfValid(fd);
                stopRings();
                queue.kicked = true;
                if (!Features.has(features, Features.VHOST_USER_F_PROTOCOL_FEATURES))
                {
                    queue.enabled = true;
                }
                startRings();
            }
            default -> closeIfValid(fd); // errors are never reported through an error eventfd here
        }
    }

    /**
     * The call eventfd. A descriptor that cannot be made non-blocking (an {@code O_PATH} one) is the
     * frontend's fault, not the port's: a violation, the descriptor closed.
     */
    private static EventFd adoptCall(final VhostUserMessage request, final int fd)
    {
        try
        {
            return EventFd.adopt(fd);
        }
        catch (final NativeException ex)
        {
            throw new ViolationException(Violation.MESSAGE, request + ": " + ex.getMessage());
        }
    }

    private static void closeIfValid(final int fd)
    {
        if (fd >= 0)
        {
            UnixSocket.closeDescriptor(fd);
        }
    }

    /** Quiesces the port and saves where each running queue got to. */
    void stopRings()
    {
        port.quiesce();
        for (final Queue queue : queues)
        {
            if (null != queue.running)
            {
                queue.base = queue.running.nextAvail();
                queue.running = null;
            }
        }
    }

    /**
     * The state another process needs to go on where this session is (see {@link VhostUserHandover}), its
     * descriptors still this session's; the rings are stopped, until {@link #startRings} if the other process does
     * not take over. Call only while the control thread is parked.
     *
     * @param listener   the port's listening socket, or -1 (a client port).
     * @param connection the frontend's connection, or -1 (none).
     */
    VhostUserHandover handOver(final int listener, final int connection)
    {
        stopRings();
        final List<Integer> fds = new ArrayList<>();
        if (listener >= 0)
        {
            fds.add(listener);
        }
        final long[][] regions;
        if (connection < 0)
        {
            regions = new long[0][];
        }
        else
        {
            fds.add(connection);
            regions = new long[null == memory ? 0 : memory.table().count()][];
            for (int i = 0; i < regions.length; i++)
            {
                regions[i] = memory.table().region(i);
                fds.add(memory.fds()[i]);
            }
        }
        final long[][] state = new long[QUEUES][];
        for (final Queue queue : queues)
        {
            final boolean call = connection >= 0 && null != queue.call;
            state[queue.index] = connection < 0 ? new long[VhostUserHandover.QUEUE_FIELDS] : new long[] {queue.size, queue.desc,
                queue.avail, queue.used, (queue.addressed ? VhostUserHandover.ADDRESSED : 0) |
                (queue.kicked ? VhostUserHandover.KICKED : 0) | (queue.enabled ? VhostUserHandover.ENABLED : 0) |
                (call ? VhostUserHandover.HAS_CALL : 0), queue.base};
            if (call)
            {
                fds.add(queue.call.fd());
            }
        }
        return new VhostUserHandover(listener >= 0, connection >= 0, connection < 0 ? 0 : features, regions, state,
            fds.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * Takes up the session another process handed over: maps its memory the same way, adopts its call eventfds,
     * and starts the rings that ran there from where they got to.
     *
     * @param fds the handover's region descriptors then call eventfds, which this takes.
     * @throws ViolationException if the state does not hold (memory that cannot be mapped, rings outside it).
     */
    void resume(final VhostUserHandover handover, final int[] fds)
    {
        int next = 0;
        final int count = handover.regions.length;
        if (count > 0)
        {
            final long[][] columns = new long[4][count];
            for (int i = 0; i < count; i++)
            {
                for (int column = 0; column < 4; column++)
                {
                    columns[column][i] = handover.regions[i][column];
                }
            }
            final int[] regionFds = Arrays.copyOfRange(fds, 0, count);
            next = count;
            final RegionTable table;
            try
            {
                table = RegionTable.of(columns[0], columns[1], columns[2], columns[3]);
            }
            catch (final ViolationException ex)
            {
                Arrays.stream(fds).forEach(UnixSocket::closeDescriptor);
                throw ex;
            }
            memory = GuestMemory.map(table, regionFds);
        }
        for (final Queue queue : queues)
        {
            final long[] state = handover.queues[queue.index];
            queue.size = (int)state[0];
            queue.desc = state[1];
            queue.avail = state[2];
            queue.used = state[3];
            queue.addressed = 0 != (state[4] & VhostUserHandover.ADDRESSED);
            queue.kicked = 0 != (state[4] & VhostUserHandover.KICKED);
            queue.enabled = 0 != (state[4] & VhostUserHandover.ENABLED);
            queue.base = (int)state[5] & 0xFFFF;
            if (0 != (state[4] & VhostUserHandover.HAS_CALL))
            {
                queue.call = EventFd.adopt(fds[next++]);
            }
        }
        features = handover.features;
        port.negotiated(features);
        startRings();
    }

    void startRings()
    {
        for (final Queue queue : queues)
        {
            if (ready(queue))
            {
                queue.running = Virtqueue.start(queue.index, queue.size, queue.desc, queue.avail, queue.used,
                    queue.base, memory, features, queue.call, events);
                LOG.log(Level.DEBUG, "port {0}: {1} running", port.name(), queue.running);
            }
        }
        port.publish(queues[0].running, queues[1].running);
    }

    private boolean ready(final Queue queue)
    {
        return null != memory && Features.has(features, Features.VIRTIO_F_VERSION_1) &&
            queue.size > 0 && queue.addressed && queue.kicked && queue.enabled;
    }

    /** Back to the state of a new connection: rings stopped, memory unmapped, eventfds closed. */
    void reset()
    {
        stopRings();
        closeMemory();
        for (int i = 0; i < QUEUES; i++)
        {
            if (null != queues[i].call)
            {
                queues[i].call.close();
            }
            queues[i] = new Queue(i);
        }
        features = 0;
        port.negotiated(0);
    }

    private void closeMemory()
    {
        if (null != memory)
        {
            memory.close();
            memory = null;
        }
    }
}
