package io.vireo.dataplane.nativeio;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A vector of datagram messages for {@code recvmmsg} and {@code sendmmsg}: one system call moves a
 * whole burst. Each message has up to a fixed number of iovecs that point at memory the caller owns
 * (the slots of a frame burst, a header area) and an IPv4 address ({@code sockaddr_in}): the peer to
 * send to, or the peer a datagram came from. A batch made {@link #MessageBatch(int, int, boolean) with
 * segmentation} also has a control message per message for UDP segmentation offload: on send,
 * {@code UDP_SEGMENT} cuts a message into datagrams of {@link #segmentSize(int, int) a size}; on
 * receive from a socket with {@code UDP_GRO} on, the kernel hands a train of datagrams of one sender
 * as one message and {@link #segmentSize(int)} says where each ends. Laid out once, off-heap,
 * x86_64 / aarch64 Linux:
 * <pre>
 * 0                     struct mmsghdr[capacity]   64 B each
 *                         0 msg_name -> sockaddr_in of the message   8 msg_namelen = 16
 *                        16 msg_iov  -> its iovecs                  24 msg_iovlen
 *                        32 msg_control -> its cmsg, or NULL        40 msg_controllen
 *                        48 msg_flags   56 msg_len (bytes received or sent)
 * 64 * capacity         struct iovec[capacity][iovsPerMessage]   16 B each: base, len
 * ... + 16 * iovs       struct sockaddr_in[capacity]   16 B each:
 *                         0 family (u16) = AF_INET   2 port (u16, network order)
 *                         4 address (u32, network order)   8 zero
 * ... + 16 * capacity   with segmentation, struct cmsghdr + data[capacity]   24 B each:
 *                         0 cmsg_len (u64)   8 cmsg_level = SOL_UDP   12 cmsg_type = UDP_SEGMENT or UDP_GRO
 *                        16 data: u16 segment size (send), int segment size (receive)
 * </pre>
 * One thread at a time; nothing here allocates after construction. The memory is freed with the batch
 * by the garbage collector.
 */
public final class MessageBatch
{
    private static final int MMSGHDR_LENGTH = 64;
    private static final int MSG_NAME = 0;
    private static final int MSG_NAMELEN = 8;
    private static final int MSG_IOV = 16;
    private static final int MSG_IOVLEN = 24;
    private static final int MSG_CONTROL = 32;
    private static final int MSG_CONTROLLEN = 40;
    private static final int MSG_FLAGS = 48;
    private static final int MSG_LEN = 56;
    private static final int IOVEC_LENGTH = 16;
    private static final int SOCKADDR_IN_LENGTH = 16;
    private static final short AF_INET = 2;
    private static final int MSG_DONTWAIT = 0x40;
    private static final int MSG_TRUNC = 0x20;
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;
    private static final int UDP_GRO = 104;
    private static final int CMSG_LEVEL = 8;
    private static final int CMSG_TYPE = 12;
    private static final int CMSG_DATA = 16;
    /** CMSG_SPACE(sizeof(int)): the control area of a message. */
    private static final int CONTROL_SPACE = 24;
    /** CMSG_LEN(sizeof(uint16_t)): a UDP_SEGMENT control message. */
    private static final int SEGMENT_CMSG_LEN = CMSG_DATA + 2;
    /** The least a UDP_GRO control message takes: CMSG_LEN(sizeof(int)). */
    private static final int GRO_CMSG_LEN = CMSG_DATA + 4;

    private final int capacity;
    private final int iovsPerMessage;
    private final UnsafeBuffer memory;
    private final long base;
    private final int iovecsOffset;
    private final int namesOffset;
    private final int controlsOffset;
    private final boolean segmentation;
    private final LibC libc;
    /**
     * Messages 0.. whose receive fields (name length, flags, control length and message) may differ from
     * what a receive needs: the kernel writes them back into each message it receives into, and the setters
     * for sending and for feeding without a socket change them too. {@link #receive} resets only these, so
     * an empty poll of a long batch touches no header.
     */
    private int dirty;

    /**
     * A batch without segmentation control messages.
     *
     * @param capacity       messages in the vector.
     * @param iovsPerMessage iovecs per message, at least 1.
     */
    public MessageBatch(final int capacity, final int iovsPerMessage)
    {
        this(capacity, iovsPerMessage, false);
    }

    /**
     * @param capacity       messages in the vector.
     * @param iovsPerMessage iovecs per message, at least 1.
     * @param segmentation   room for a UDP segmentation control message per message.
     */
    public MessageBatch(final int capacity, final int iovsPerMessage, final boolean segmentation)
    {
        if (capacity <= 0 || iovsPerMessage <= 0)
        {
            throw new IllegalArgumentException("bad message batch: capacity=" + capacity + " iovs=" + iovsPerMessage);
        }
        this.capacity = capacity;
        this.iovsPerMessage = iovsPerMessage;
        this.iovecsOffset = capacity * MMSGHDR_LENGTH;
        this.namesOffset = iovecsOffset + capacity * iovsPerMessage * IOVEC_LENGTH;
        this.controlsOffset = namesOffset + capacity * SOCKADDR_IN_LENGTH;
        this.segmentation = segmentation;
        this.memory = new UnsafeBuffer(BufferUtil.allocateDirectAligned(
            controlsOffset + (segmentation ? capacity * CONTROL_SPACE : 0), 64));
        this.base = memory.addressOffset();
        this.libc = Native.libc();
        for (int message = 0; message < capacity; message++)
        {
            final int header = message * MMSGHDR_LENGTH;
            memory.putLong(header + MSG_NAME, base + nameOffset(message));
            memory.putInt(header + MSG_NAMELEN, SOCKADDR_IN_LENGTH);
            memory.putLong(header + MSG_IOV, base + iovecsOffset + message * iovsPerMessage * IOVEC_LENGTH);
            memory.putLong(header + MSG_IOVLEN, iovsPerMessage);
            memory.putShort(nameOffset(message), AF_INET);
            if (segmentation)
            {
                memory.putLong(header + MSG_CONTROL, base + controlOffset(message));
                memory.putInt(controlOffset(message) + CMSG_LEVEL, SOL_UDP);
            }
        }
        this.dirty = capacity;
    }

    public int capacity()
    {
        return capacity;
    }

    /** Points iovec {@code iov} of {@code message} at {@code length} bytes at native {@code address}. */
    public void iov(final int message, final int iov, final long address, final int length)
    {
        final int offset = iovecsOffset + (message * iovsPerMessage + iov) * IOVEC_LENGTH;
        memory.putLong(offset, address);
        memory.putLong(offset + 8, length);
    }

    /** Sends {@code message} from its first {@code count} iovecs only (1 to iovs per message). */
    public void iovCount(final int message, final int count)
    {
        if (count < 1 || count > iovsPerMessage)
        {
            throw new IllegalArgumentException("iovecs " + count + " of " + iovsPerMessage);
        }
        memory.putLong(message * MMSGHDR_LENGTH + MSG_IOVLEN, count);
    }

    /**
     * Has the kernel cut {@code message} into datagrams of {@code size} bytes (the last may be shorter)
     * when it is sent ({@code UDP_SEGMENT}); 0 sends it as one datagram. Needs a batch made with
     * segmentation.
     */
    public void segmentSize(final int message, final int size)
    {
        checkSegmentation();
        dirtied(message);
        final int header = message * MMSGHDR_LENGTH;
        if (0 == size)
        {
            memory.putLong(header + MSG_CONTROLLEN, 0);
            return;
        }
        final int control = controlOffset(message);
        memory.putLong(control, SEGMENT_CMSG_LEN);
        memory.putInt(control + CMSG_TYPE, UDP_SEGMENT);
        memory.putShort(control + CMSG_DATA, (short)size);
        memory.putLong(header + MSG_CONTROLLEN, CONTROL_SPACE);
    }

    /**
     * The size of the datagrams a received {@code message} holds, back to back, when the kernel
     * coalesced several ({@code UDP_GRO}; the last may be shorter); 0 when it holds one datagram.
     * Needs a batch made with segmentation.
     */
    public int segmentSize(final int message)
    {
        checkSegmentation();
        final int control = controlOffset(message);
        if (memory.getLong(message * MMSGHDR_LENGTH + MSG_CONTROLLEN) < GRO_CMSG_LEN ||
            memory.getLong(control) < GRO_CMSG_LEN ||
            memory.getInt(control + CMSG_LEVEL) != SOL_UDP ||
            memory.getInt(control + CMSG_TYPE) != UDP_GRO)
        {
            return 0;
        }
        return memory.getInt(control + CMSG_DATA);
    }

    /** Sets the address {@code message} goes to: IPv4 {@code address} (as an int, first octet highest) and UDP {@code port}. */
    public void peer(final int message, final int address, final int port)
    {
        final int name = nameOffset(message);
        memory.putShort(name + 2, Short.reverseBytes((short)port));
        memory.putInt(name + 4, Integer.reverseBytes(address));
    }

    /**
     * Sends {@code message} without an address ({@code msg_namelen} 0): to where the socket is bound or
     * connected, as a packet socket bound to an interface needs (it refuses a {@code sockaddr_in}).
     * Only for sending: {@link #receive} gives every message its address room back.
     */
    public void unaddressed(final int message)
    {
        dirtied(message);
        memory.putInt(message * MMSGHDR_LENGTH + MSG_NAMELEN, 0);
    }

    /** The IPv4 address a received {@code message} came from (first octet highest). */
    public int peerAddress(final int message)
    {
        return Integer.reverseBytes(memory.getInt(nameOffset(message) + 4));
    }

    /** The UDP port a received {@code message} came from. */
    public int peerPort(final int message)
    {
        return Short.toUnsignedInt(Short.reverseBytes(memory.getShort(nameOffset(message) + 2)));
    }

    /** Bytes the kernel stored for a received {@code message}. */
    public int length(final int message)
    {
        return memory.getInt(message * MMSGHDR_LENGTH + MSG_LEN);
    }

    /** True if a received {@code message} was longer than its iovecs and cut short. */
    public boolean truncated(final int message)
    {
        return 0 != (memory.getInt(message * MMSGHDR_LENGTH + MSG_FLAGS) & MSG_TRUNC);
    }

    /**
     * Writes into {@code message} what {@code recvmmsg} leaves there for a datagram, or a train of them, that
     * it received: the bytes stored, whether it cut the message short, the sender and the size of the datagrams
     * in a train (0: one datagram). For code that feeds a receiver without a socket (tests, fuzzing), which
     * writes the bytes where the message's iovec points. Needs a batch made with segmentation.
     */
    public void received(
        final int message, final int length, final boolean truncated, final int address, final int port,
        final int segmentSize)
    {
        checkSegmentation();
        dirtied(message);
        final int header = message * MMSGHDR_LENGTH;
        memory.putInt(header + MSG_LEN, length);
        memory.putInt(header + MSG_FLAGS, truncated ? MSG_TRUNC : 0);
        memory.putInt(header + MSG_NAMELEN, SOCKADDR_IN_LENGTH);
        peer(message, address, port);
        final int control = controlOffset(message);
        if (0 == segmentSize)
        {
            memory.putLong(header + MSG_CONTROLLEN, 0);
            memory.putLong(control, 0);
            return;
        }
        memory.putLong(control, GRO_CMSG_LEN);
        memory.putInt(control + CMSG_LEVEL, SOL_UDP);
        memory.putInt(control + CMSG_TYPE, UDP_GRO);
        memory.putInt(control + CMSG_DATA, segmentSize);
        memory.putLong(header + MSG_CONTROLLEN, CONTROL_SPACE);
    }

    /**
     * Receives up to {@code count} datagrams into messages 0.. without waiting.
     *
     * @return datagrams received (0 if none is waiting), or minus the errno of a failure.
     */
    public int receive(final int fd, final int count)
    {
        for (int message = 0; message < dirty; message++)
        {
            final int header = message * MMSGHDR_LENGTH;
            memory.putInt(header + MSG_NAMELEN, SOCKADDR_IN_LENGTH);
            memory.putInt(header + MSG_FLAGS, 0);
            if (segmentation)
            {
                memory.putLong(header + MSG_CONTROLLEN, CONTROL_SPACE);
                memory.putLong(controlOffset(message), 0);
            }
        }
        final long received = Fd.result(libc.recvmmsg(fd, base, Math.min(count, capacity), MSG_DONTWAIT, 0));
        // The kernel writes a message's fields back only when it received into it.
        dirty = received > 0 ? (int)received : 0;
        return Fd.isTransient(received) ? 0 : (int)received;
    }

    /**
     * Sends messages {@code from .. from + count - 1} without waiting.
     *
     * @return messages sent, always the first ones (0 if the socket buffer is full), or minus the errno
     *         with which the first of them failed.
     */
    public int send(final int fd, final int from, final int count)
    {
        final long sent = Fd.result(libc.sendmmsg(fd, base + (long)from * MMSGHDR_LENGTH, count, MSG_DONTWAIT));
        return Fd.isTransient(sent) ? 0 : (int)sent;
    }

    private void dirtied(final int message)
    {
        dirty = Math.max(dirty, message + 1);
    }

    private int nameOffset(final int message)
    {
        return namesOffset + message * SOCKADDR_IN_LENGTH;
    }

    private int controlOffset(final int message)
    {
        return controlsOffset + message * CONTROL_SPACE;
    }

    private void checkSegmentation()
    {
        if (!segmentation)
        {
            throw new IllegalStateException("a message batch made without segmentation control messages");
        }
    }
}
