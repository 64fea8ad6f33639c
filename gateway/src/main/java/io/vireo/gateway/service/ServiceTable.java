package io.vireo.gateway.service;

import java.util.Arrays;

/**
 * A router's services by protocol, virtual address and port, as the forwarding threads read them:
 * immutable, replaced whole with the router's snapshot. An open-addressing index over the services
 * finds one in a probe or two, without allocation.
 */
public final class ServiceTable
{
    /** A router without services. */
    public static final ServiceTable NONE = new ServiceTable(new ServiceView[0]);

    private final ServiceView[] services;
    private final long[] keys;
    private final int[] indexes;
    private final int mask;

    public ServiceTable(final ServiceView[] services)
    {
        this.services = services.clone();
        int size = 2;
        while (size < services.length * 2)
        {
            size <<= 1;
        }
        keys = new long[size];
        indexes = new int[size];
        mask = size - 1;
        Arrays.fill(indexes, -1);
        for (int i = 0; i < services.length; i++)
        {
            final ServiceView service = services[i];
            final long key = key(service.protocol(), service.vip(), service.port());
            int slot = hash(key) & mask;
            while (indexes[slot] >= 0)
            {
                if (keys[slot] == key)
                {
                    throw new IllegalArgumentException("two services on one address, port and protocol");
                }
                slot = (slot + 1) & mask;
            }
            keys[slot] = key;
            indexes[slot] = i;
        }
    }

    public boolean isEmpty()
    {
        return 0 == services.length;
    }

    /** The service a new connection to this address and port is for, or null. */
    public ServiceView find(final int protocol, final int address, final int port)
    {
        final long key = key(protocol, address, port);
        int slot = hash(key) & mask;
        int index;
        while ((index = indexes[slot]) >= 0)
        {
            if (keys[slot] == key)
            {
                return services[index];
            }
            slot = (slot + 1) & mask;
        }
        return null;
    }

    private static long key(final int protocol, final int address, final int port)
    {
        return ((long)protocol << 48) | ((long)(port & 0xFFFF) << 32) | (address & 0xFFFF_FFFFL);
    }

    private static int hash(final long key)
    {
        final long mixed = Maglev.mix(key);
        return (int)(mixed ^ (mixed >>> 32));
    }
}
