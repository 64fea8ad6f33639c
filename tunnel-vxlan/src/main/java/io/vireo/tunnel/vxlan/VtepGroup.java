package io.vireo.tunnel.vxlan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.vireo.dataplane.nativeio.Fd;
import io.vireo.dataplane.nativeio.InetSockets;
import org.agrona.BufferUtil;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The endpoints of one local address and UDP port, each with its own receiving socket: the sockets are bound with
 * {@code SO_REUSEPORT}, so the kernel keeps them as one group, and a classic BPF program attached to the group
 * picks the socket of each datagram's VNI. The kernel runs it before the datagram is queued, so each endpoint reads
 * its own VNI's datagrams on its own forwarding thread, with nothing shared between endpoints on the hot path.
 * <p>
 * The program returns the member's index in the kernel's group, which the kernel gives and moves and never tells:
 * a socket that binds is appended; one that closes is replaced by the last ({@code reuseport_detach_sock}). This
 * class keeps the same list by the same rules, rebuilds the program after every change, and writes each receiving
 * socket's index into its mark ({@code SO_MARK}, which a socket that never sends has no other use for), so a process
 * that {@linkplain #adopt adopts} the sockets learns the order the kernel has.
 * <p>
 * A datagram of a VNI no member carries (or too short to hold one) is left to the kernel's hash: some member gets
 * it and drops it as {@code unknown_vni} (or {@code bad_vxlan}). The kernel's UDP GRO may merge datagrams of the
 * same addresses and ports into one train whatever their payload, and the program sees only the train's first: a
 * datagram of another member's VNI inside a train is dropped and counted as {@code unknown_vni} by the receiver
 * that gets it, never delivered into its bridge ({@link VtepReceiver} checks every datagram's VNI).
 */
final class VtepGroup
{
    /** struct sock_filter: code, jt, jf, k. */
    private static final int INSTRUCTION_BYTES = 8;
    private static final short LD_W_ABS = 0x20;
    private static final short RSH_K = 0x74;
    private static final short JEQ_K = 0x15;
    private static final short RET_K = 0x06;
    /** BPF_MAXINSNS. */
    private static final int MAX_INSTRUCTIONS = 4096;
    /** Two instructions a member, three besides. */
    static final int MAX_MEMBERS = (MAX_INSTRUCTIONS - 3) / 2;
    /** Index + this in a receiving socket's mark. */
    private static final int MARK_BASE = 0x5678_0000;

    private static final Map<Long, VtepGroup> GROUPS = new HashMap<>();

    /** A receiving socket and its VNI. */
    record Member(Fd fd, int vni)
    {
    }

    private final long key;
    /** In the kernel group's order. */
    private final List<Member> members = new ArrayList<>();

    private VtepGroup(final long key)
    {
        this.key = key;
    }

    /**
     * Opens the receiving socket of an endpoint for {@code vni} on {@code address}:{@code port}, as a new member of
     * its group, and gives it to {@code build}, which returns the endpoint around it (or throws, having closed it).
     *
     * @throws IllegalArgumentException if the group has an endpoint for that VNI already, or is full.
     */
    static synchronized Vtep open(final int address, final int port, final int vni, final Build build)
    {
        final VtepGroup group = GROUPS.computeIfAbsent(key(address, port), VtepGroup::new);
        try
        {
            for (final Member member : group.members)
            {
                if (null != member && member.vni() == vni)
                {
                    throw new IllegalArgumentException("VNI " + vni + " already has an endpoint on " +
                        InetSockets.format(address) + ":" + port);
                }
            }
            if (group.members.size() == MAX_MEMBERS)
            {
                throw new IllegalArgumentException(InetSockets.format(address) + ":" + port + " carries " +
                    MAX_MEMBERS + " VNIs already");
            }
            final Vtep vtep = build.withSocket(InetSockets.udpReusePort(address, port));
            group.members.add(new Member(vtep.receiveFd(), vni));
            try
            {
                group.publish();
            }
            catch (final RuntimeException ex)
            {
                vtep.close();
                throw ex;
            }
            return vtep;
        }
        finally
        {
            group.dropIfEmpty();
        }
    }

    /**
     * Takes into its group the receiving socket of an endpoint that another process opened and handed over: its
     * index is the one its mark says (where the kernel has it), or the next if it has none.
     */
    static synchronized void adopt(final int address, final int port, final int vni, final Fd fd)
    {
        final VtepGroup group = GROUPS.computeIfAbsent(key(address, port), VtepGroup::new);
        final int mark = InetSockets.mark(fd.value()) - MARK_BASE;
        final int index = mark >= 0 && mark < MAX_MEMBERS ? mark : group.members.size();
        while (group.members.size() <= index)
        {
            group.members.add(null);
        }
        group.members.set(index, new Member(fd, vni));
        // The program the group has is the handing process's, right for the group; it is rebuilt on the next change.
    }

    /**
     * Lets go of a receiving socket that another process adopted and now owns ({@code vireod --takeover} done): it
     * leaves this process's list without a change to the group, whose program and marks are the other process's
     * to keep, so closing it here later closes the descriptor and nothing else (the kernel keeps the socket, which
     * the other process holds).
     */
    static synchronized void handedOver(final int address, final int port, final Fd fd)
    {
        final VtepGroup group = GROUPS.get(key(address, port));
        if (null != group)
        {
            for (int i = 0; i < group.members.size(); i++)
            {
                final Member member = group.members.get(i);
                if (null != member && member.fd() == fd)
                {
                    group.members.set(i, null);
                }
            }
            group.dropIfEmpty();
        }
    }

    /** Closes an endpoint's receiving socket (once) and takes it out of its group, whose program is rebuilt. */
    static synchronized void close(final int address, final int port, final Fd fd)
    {
        final VtepGroup group = GROUPS.get(key(address, port));
        int index = -1;
        if (null != group)
        {
            for (int i = 0; i < group.members.size(); i++)
            {
                final Member member = group.members.get(i);
                if (null != member && member.fd() == fd)
                {
                    index = i;
                }
            }
        }
        fd.close();
        if (index >= 0)
        {
            group.remove(index);
            try
            {
                group.publish();
            }
            catch (final RuntimeException ex)
            {
                // The kernel keeps the program it had: datagrams of the VNI that moved may go to the wrong member,
                // which drops them as unknown_vni; the next change tries again.
            }
            group.dropIfEmpty();
        }
    }

    /** The VNIs of the members on {@code address}:{@code port}, in the kernel's order (tests). */
    static synchronized List<Integer> vnis(final int address, final int port)
    {
        final VtepGroup group = GROUPS.get(key(address, port));
        return null == group ? List.of() :
            group.members.stream().map(member -> null == member ? -1 : member.vni()).toList();
    }

    /** What the kernel does when the socket at {@code index} closes: the last one takes its place. */
    static <T> void removeAsTheKernelDoes(final List<T> list, final int index)
    {
        final T last = list.remove(list.size() - 1);
        if (index < list.size())
        {
            list.set(index, last);
        }
    }

    /**
     * The classic BPF program that returns the index of the VNI in {@code vnis} (-1: none), for a UDP payload
     * that starts with a VXLAN header: {@code ld [4]; rsh #8;} then for each member {@code jeq #vni, 0, 1; ret #i},
     * then {@code ret #0xffffffff}, which is out of range: the kernel hashes. A payload too short to read makes
     * the program return 0.
     *
     * @return the struct sock_filter array, in native order.
     */
    static UnsafeBuffer program(final int[] vnis)
    {
        final int instructions = 3 + 2 * vnis.length;
        final UnsafeBuffer program = new UnsafeBuffer(BufferUtil.allocateDirectAligned(instructions * INSTRUCTION_BYTES, 8));
        int at = 0;
        at = instruction(program, at, LD_W_ABS, 0, 0, 4);
        at = instruction(program, at, RSH_K, 0, 0, 8);
        for (int i = 0; i < vnis.length; i++)
        {
            at = instruction(program, at, JEQ_K, 0, 1, vnis[i]);   // -1, a member not adopted (yet), matches no VNI
            at = instruction(program, at, RET_K, 0, 0, i);
        }
        instruction(program, at, RET_K, 0, 0, -1);
        return program;
    }

    /** Opens the endpoint around its receiving socket. */
    @FunctionalInterface
    interface Build
    {
        Vtep withSocket(int fd);
    }

    private static int instruction(final UnsafeBuffer program, final int at, final short code, final int jt, final int jf, final int k)
    {
        final int offset = at * INSTRUCTION_BYTES;
        program.putShort(offset, code);
        program.putByte(offset + 2, (byte)jt);
        program.putByte(offset + 3, (byte)jf);
        program.putInt(offset + 4, k);
        return at + 1;
    }

    private static long key(final int address, final int port)
    {
        return (long)address << 16 | port;
    }

    private void remove(final int index)
    {
        removeAsTheKernelDoes(members, index);
    }

    /** Attaches the program for the members as they are, through any of them, and marks each with its index. */
    private void publish()
    {
        Fd through = null;
        final int[] vnis = new int[members.size()];
        for (int i = 0; i < vnis.length; i++)
        {
            final Member member = members.get(i);
            vnis[i] = null == member ? -1 : member.vni();
            if (null != member)
            {
                InetSockets.mark(member.fd().value(), MARK_BASE + i);
                through = member.fd();
            }
        }
        if (null != through)
        {
            final UnsafeBuffer program = program(vnis);
            InetSockets.selectReusePort(through.value(), program.addressOffset(), 3 + 2 * vnis.length);
        }
    }

    private void dropIfEmpty()
    {
        if (members.stream().allMatch(member -> null == member))
        {
            GROUPS.remove(key);
        }
    }
}
