package io.vireo.dataplane.nativeio;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

import static io.vireo.dataplane.nativeio.Netlink.IFF_UP;
import static io.vireo.dataplane.nativeio.Netlink.NLMSG_DONE;
import static io.vireo.dataplane.nativeio.Netlink.NLMSG_ERROR;
import static io.vireo.dataplane.nativeio.Netlink.NLMSG_NOOP;
import static io.vireo.dataplane.nativeio.Netlink.NLM_F_DUMP_INTR;
import static io.vireo.dataplane.nativeio.Netlink.RTM_NEWADDR;
import static io.vireo.dataplane.nativeio.Netlink.RTM_NEWLINK;
import static io.vireo.dataplane.nativeio.Netlink.SEQUENCE_OFFSET;

/**
 * A route netlink socket ({@code NETLINK_ROUTE}) in one network namespace, asking the kernel what
 * {@code ip link}, {@code ip addr} and {@code ip route} ask it, in the same messages, without running them:
 * look up a link and its addresses, change a link (MAC, MTU, name, up or down), move it into another
 * namespace, add an address or a route. Wire format: {@link Netlink}.
 * <p>
 * A netlink socket belongs to the namespace of the thread that created it, whichever thread uses it later.
 * {@link #open} creates it on a short-lived thread of its own that enters the namespace
 * ({@link NetworkNamespace#call}), so no thread of the caller's ever changes namespace.
 * <p>
 * Every request asks for an acknowledgement ({@code NLM_F_ACK}) and waits, at most 10 s, for the answers
 * that carry its sequence number (a dump's ending with {@code NLMSG_DONE}); any other message is the late
 * answer to an earlier request and is skipped. A refusal is a {@link NetlinkException} with the kernel's
 * errno and iproute2's words for it ({@code RTNETLINK answers: File exists}); a link that does not exist
 * is null from {@link #link}. One thread at a time; the control path only.
 */
public final class RtNetlink implements AutoCloseable
{
    /**
     * A link as the kernel reports it.
     *
     * @param address its hardware address in colon-separated hex ({@code 02:00:00:00:00:01}), or null.
     * @param flags   its {@code IFF_*} flags.
     * @param kind    its driver's kind ({@code tun}, {@code veth}), or null when the kernel names none.
     */
    public record Link(int index, String name, String address, int mtu, int flags, String kind)
    {
        public boolean up()
        {
            return 0 != (flags & IFF_UP);
        }
    }

    /** An address of a link, with its prefix length. */
    public record Address(InetAddress address, int prefixLength)
    {
        @Override
        public String toString()
        {
            return address.getHostAddress() + "/" + prefixLength;
        }
    }

    /**
     * What to change on a link, in one request; a null field stays as it is. The kernel applies the MAC
     * and MTU, then the name (which older kernels refuse, EBUSY, while the link is up), then up or down.
     *
     * @param address a hardware address in colon-separated hex.
     */
    public record LinkChange(String name, String address, Integer mtu, Boolean up)
    {
        public static LinkChange rename(final String name)
        {
            return new LinkChange(name, null, null, null);
        }

        public static LinkChange state(final boolean up)
        {
            return new LinkChange(null, null, null, up);
        }
    }

    static final int AF_NETLINK = 16;
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 0x80000;
    static final int NETLINK_ROUTE = 0;
    static final int SOL_SOCKET = 1;
    static final int SO_RCVTIMEO = 20;
    static final int SOL_NETLINK = 270;
    static final int NETLINK_CAP_ACK = 10;
    static final int NETLINK_EXT_ACK = 11;
    static final int MSG_TRUNC = 0x20;

    private static final int REQUEST_LENGTH = 512;
    /** The kernel fills a dump's datagrams up to 32 KB (more only for a single larger message). */
    private static final int ANSWER_LENGTH = 64 * 1024;
    private static final int TIMEOUT_SECONDS = 10;
    /** struct timeval for SO_RCVTIMEO: tv_sec, tv_usec (two longs). */
    private static final int TIMEVAL_LENGTH = 16;
    /** A dump the kernel flags as interrupted (the table changed meanwhile) is asked for again, this often. */
    private static final int DUMP_ATTEMPTS = 3;

    private final Fd fd;
    private final String namespace;
    private final LibC libc = Native.libc();
    private final UnsafeBuffer request = new UnsafeBuffer(BufferUtil.allocateDirectAligned(REQUEST_LENGTH, 8));
    private final UnsafeBuffer answer = new UnsafeBuffer(BufferUtil.allocateDirectAligned(ANSWER_LENGTH, 8));
    private final RtMessages messages = new RtMessages(request);
    private final NetlinkReader reader = new NetlinkReader();
    private int sequence;

    private RtNetlink(final int fd, final String namespace)
    {
        this.fd = Fd.own(fd);
        this.namespace = namespace;
    }

    /**
     * Opens a socket in the network namespace at {@code namespacePath} ({@code /run/netns/NAME},
     * {@code /proc/PID/ns/net}), or in the calling thread's when it is null.
     *
     * @throws NativeException naming the namespace if it cannot be opened or entered (ENOENT: no such file;
     *                         EINVAL: not a network namespace), or the socket cannot be made.
     */
    public static RtNetlink open(final String namespacePath)
    {
        final int fd = null == namespacePath ? createSocket() : createSocketIn(namespacePath);
        final RtNetlink netlink = new RtNetlink(fd, null == namespacePath ? "this namespace" : namespacePath);
        try
        {
            netlink.setUp();
        }
        catch (final RuntimeException ex)
        {
            netlink.close();
            throw ex;
        }
        return netlink;
    }

    private static int createSocketIn(final String namespacePath)
    {
        return NetworkNamespace.call(namespacePath, RtNetlink::createSocket);
    }

    private static int createSocket()
    {
        final int fd = Native.libc().socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0)
        {
            throw new NativeException("netlink socket", Native.errno());
        }
        return fd;
    }

    private void setUp()
    {
        request.putLong(0, TIMEOUT_SECONDS);
        request.putLong(8, 0);
        if (libc.setsockopt(fd.value(), SOL_SOCKET, SO_RCVTIMEO, request.addressOffset(), TIMEVAL_LENGTH) < 0)
        {
            throw new NativeException("SO_RCVTIMEO on a netlink socket", Native.errno());
        }
        // The kernel's own words in errors, and errors that do not echo the whole request. Best effort: a
        // kernel without them (before 4.12) still answers, in errno alone.
        request.putInt(0, 1);
        libc.setsockopt(fd.value(), SOL_NETLINK, NETLINK_EXT_ACK, request.addressOffset(), 4);
        libc.setsockopt(fd.value(), SOL_NETLINK, NETLINK_CAP_ACK, request.addressOffset(), 4);
    }

    /** The link called {@code name} (or with that alternative name), or null if there is none. */
    public Link link(final String name)
    {
        final List<Link> found = new ArrayList<>(1);
        try
        {
            exchange(messages.getLink(++sequence, name), "look up link " + name, message ->
            {
                if (RTM_NEWLINK == message.type())
                {
                    found.add(messages.link(message));
                }
            });
        }
        catch (final NetlinkException ex)
        {
            if (Errno.ENODEV == ex.errno())
            {
                return null;
            }
            throw ex;
        }
        return found.isEmpty() ? null : found.get(0);
    }

    /** The IPv4 and IPv6 addresses of link {@code index}, in the kernel's order. */
    public List<Address> addresses(final int index)
    {
        final String operation = "list the addresses of link " + index;
        for (int attempt = 0; attempt < DUMP_ATTEMPTS; attempt++)
        {
            final List<Address> addresses = new ArrayList<>();
            final boolean consistent = exchange(messages.getAddresses(++sequence), operation, message ->
            {
                final Address address = RTM_NEWADDR == message.type() ? messages.address(message, index) : null;
                if (null != address)
                {
                    addresses.add(address);
                }
            });
            if (consistent)
            {
                return addresses;
            }
        }
        throw new NetlinkException(operation, Errno.EINTR, "the dump was interrupted " + DUMP_ATTEMPTS + " times");
    }

    /** Sets what {@code change} gives on link {@code index}, as {@code ip link set dev NAME ...} does. */
    public void changeLink(final int index, final LinkChange change)
    {
        exchange(messages.changeLink(++sequence, index, change), "change link " + index + ": " + change, RtNetlink::unexpected);
    }

    /**
     * Moves link {@code index} into the network namespace at {@code namespacePath}, as
     * {@code ip link set dev NAME netns PATH} does. It may get another index there.
     */
    public void moveLink(final int index, final String namespacePath)
    {
        try (Fd target = Fd.own(NetworkNamespace.open(namespacePath)))
        {
            exchange(messages.moveLink(++sequence, index, target.value()), "move link " + index + " to " + namespacePath,
                RtNetlink::unexpected);
        }
    }

    /**
     * Adds {@code address/prefixLength} to link {@code index}, as {@code ip addr add} does (an IPv6 address is
     * tentative until duplicate address detection is done); EEXIST if the link has it.
     */
    public void addAddress(final int index, final InetAddress address, final int prefixLength)
    {
        final byte[] bytes = address.getAddress();
        checkPrefixLength(bytes, prefixLength);
        exchange(messages.addAddress(++sequence, index, bytes, prefixLength),
            "add address " + address.getHostAddress() + "/" + prefixLength + " to link " + index, RtNetlink::unexpected);
    }

    /**
     * Adds a route to {@code destination/prefixLength} through link {@code index}, by way of {@code gateway}
     * (null: on the link), to the main table, as {@code ip route add} does; EEXIST if the table has a route to
     * that destination.
     */
    public void addRoute(final InetAddress destination, final int prefixLength, final InetAddress gateway, final int index)
    {
        final byte[] bytes = destination.getAddress();
        checkPrefixLength(bytes, prefixLength);
        if (null != gateway && gateway.getAddress().length != bytes.length)
        {
            throw new IllegalArgumentException("gateway " + gateway.getHostAddress() + " is not of the family of " +
                destination.getHostAddress());
        }
        exchange(messages.addRoute(++sequence, bytes, prefixLength, null == gateway ? null : gateway.getAddress(), index),
            "add route to " + destination.getHostAddress() + "/" + prefixLength +
                (null == gateway ? "" : " via " + gateway.getHostAddress()) + " on link " + index,
            RtNetlink::unexpected);
    }

    /**
     * Sends the request of {@code length} bytes written into {@link #request} and reads the answers that carry
     * its sequence number until the acknowledgement or the end of a dump, handing every other message to
     * {@code handler}.
     *
     * @return false if the kernel flagged the dump as interrupted: its content may be inconsistent.
     * @throws NetlinkException if the kernel refused, or did not answer in time.
     */
    private boolean exchange(final int length, final String operation, final Consumer<NetlinkReader> handler)
    {
        final int expected = request.getInt(SEQUENCE_OFFSET);
        send(length, operation);
        boolean consistent = true;
        while (true)
        {
            reader.wrap(answer, receive(operation));
            while (reader.next())
            {
                if (expected != reader.sequence())
                {
                    continue;
                }
                consistent &= 0 == (reader.flags() & NLM_F_DUMP_INTR);
                final int type = reader.type();
                if (NLMSG_ERROR == type || NLMSG_DONE == type)
                {
                    final int error = reader.error();
                    if (error < 0)
                    {
                        throw NetlinkException.refused(operation, -error, NLMSG_ERROR == type ? reader.errorText() : null);
                    }
                    return consistent;
                }
                if (NLMSG_NOOP != type)
                {
                    handler.accept(reader);
                }
            }
        }
    }

    /** Requests that change something are answered by the acknowledgement alone. */
    private static void unexpected(final NetlinkReader message)
    {
        throw NetlinkException.malformed("message type " + message.type() + " in answer to a change");
    }

    private void send(final int length, final String operation)
    {
        long sent;
        do
        {
            sent = Fd.result(libc.send(fd.value(), request.addressOffset(), length, 0));
        }
        while (-Errno.EINTR == sent);
        if (sent < 0)
        {
            throw new NetlinkException(operation, (int)-sent, "send: " + Native.strerror((int)-sent));
        }
    }

    /** @return the length of the datagram received into {@link #answer}. */
    private int receive(final String operation)
    {
        long received;
        do
        {
            received = Fd.result(libc.recv(fd.value(), answer.addressOffset(), ANSWER_LENGTH, MSG_TRUNC));
        }
        while (-Errno.EINTR == received);
        if (-Errno.EAGAIN == received)
        {
            throw new NetlinkException(operation, Errno.ETIMEDOUT, "no answer from the kernel in " + TIMEOUT_SECONDS + " s");
        }
        if (received < 0)
        {
            throw new NetlinkException(operation, (int)-received, "recv: " + Native.strerror((int)-received));
        }
        if (received > ANSWER_LENGTH)
        {
            throw new NetlinkException(operation, Errno.EMSGSIZE,
                "an answer of " + received + " bytes, longer than the " + ANSWER_LENGTH + " read");
        }
        return (int)received;
    }

    private static void checkPrefixLength(final byte[] address, final int prefixLength)
    {
        if (prefixLength < 0 || prefixLength > address.length * 8)
        {
            throw new IllegalArgumentException("prefix length " + prefixLength + " for an address of " +
                address.length * 8 + " bits");
        }
    }

    /** Closes the socket; idempotent. */
    @Override
    public void close()
    {
        fd.close();
    }

    @Override
    public String toString()
    {
        return "RtNetlink{" + namespace + ", fd=" + fd + "}";
    }
}
