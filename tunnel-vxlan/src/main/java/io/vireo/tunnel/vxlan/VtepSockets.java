package io.vireo.tunnel.vxlan;

import io.vireo.dataplane.buffer.FrameBurst;
import io.vireo.dataplane.nativeio.Fd;

/**
 * A {@link Vtep}'s underlay as UDP sockets: the receiving socket of its address and port's group ({@link VtepGroup},
 * read by {@link VtepReceiver}) and the sending ones ({@link VtepTransmitter}).
 */
final class VtepSockets implements VtepUnderlay
{
    private final int localAddress;
    private final int udpPort;
    private final VtepReceiver receiver;
    private final VtepTransmitter transmitter;

    VtepSockets(final int localAddress, final int udpPort, final VtepReceiver receiver, final VtepTransmitter transmitter)
    {
        this.localAddress = localAddress;
        this.udpPort = udpPort;
        this.receiver = receiver;
        this.transmitter = transmitter;
    }

    @Override
    public int receive(final FrameBurst burst)
    {
        return receiver.receive(burst);
    }

    @Override
    public void transmit(final FrameBurst burst, final int[] indexes, final int count)
    {
        transmitter.transmit(burst, indexes, count);
    }

    @Override
    public int pollFd()
    {
        return receiver.fd().value();
    }

    /** The errno that made a socket unusable (EBADF, EBADFD, ENODEV), or 0. */
    @Override
    public int failure()
    {
        final int rxFailure = receiver.fd().failure();
        return 0 != rxFailure ? rxFailure : transmitter.failure();
    }

    /** The receiving socket, the raw sending socket, then a socket per source port. */
    @Override
    public int[] descriptors()
    {
        final int[] fds = new int[2 + VtepSourcePorts.COUNT];
        fds[0] = receiver.fd().value();
        fds[1] = transmitter.rawFd();
        for (int flow = 0; flow < VtepSourcePorts.COUNT; flow++)
        {
            fds[2 + flow] = transmitter.sourcePorts().socket(flow).value();
        }
        return fds;
    }

    @Override
    public int[] sourcePorts()
    {
        final int[] ports = new int[VtepSourcePorts.COUNT];
        for (int flow = 0; flow < VtepSourcePorts.COUNT; flow++)
        {
            ports[flow] = transmitter.sourcePorts().port(flow);
        }
        return ports;
    }

    /** Closing leaves the group of the address and port (the other endpoints' VNIs) to the adopting process. */
    @Override
    public void handedOver()
    {
        VtepGroup.handedOver(localAddress, udpPort, receiver.fd());
    }

    /** The receiving socket, a member of the group of its local address and port ({@link VtepGroup}). */
    Fd receiveFd()
    {
        return receiver.fd();
    }

    /** Closes the sockets; the receiving one leaves its group, whose other endpoints keep their VNIs. */
    @Override
    public void close()
    {
        VtepGroup.close(localAddress, udpPort, receiver.fd());
        transmitter.close();
    }
}
