package io.vireo.cluster;

import java.util.Map;
import java.util.Set;

import io.vireo.cluster.etcd.EtcdException;

/**
 * A {@link ClusterNode}'s address management, on its {@link ClusterThread}: an address of a network for
 * an owner comes from a block this node claimed, or from a block it claims now (a compare-and-swap on
 * the block's key), or, with every block claimed, from another node's block; the address key's own
 * compare-and-swap keeps it unique. Without the store it still hands out what its blocks have room
 * for: the allocation is kept in {@link OwnedKeys} and reaches the store when it returns.
 */
final class AddressAllocator
{
    private static final int CLAIM_ATTEMPTS = 64;

    private final StoreSession session;
    private final ClusterKeys keys;
    private final Member self;
    private final ClusterView view;
    private final OwnedKeys owned;
    private long conflicts;

    AddressAllocator(
        final StoreSession session, final ClusterKeys keys, final Member self, final ClusterView view, final OwnedKeys owned)
    {
        this.session = session;
        this.keys = keys;
        this.self = self;
        this.view = view;
        this.owned = owned;
    }

    /** Claims that another node had made first (a block or an address), for the status. */
    long conflicts()
    {
        return conflicts;
    }

    /** See {@link ClusterNode#allocate}. */
    String allocate(final String network, final String owner) throws EtcdException
    {
        final Network wanted = view.networks.get(network);
        if (!session.isLoaded())
        {
            throw new StoreUnavailableException("the cluster store has not answered since vireod started: " +
                "no address blocks known (" + session.lastError() + ")");
        }
        if (null == wanted)
        {
            throw new IllegalArgumentException("no cluster network named " + network);
        }
        final String prefixLength = "/" + AddressBlocks.prefixOf(wanted);
        final String existing = view.addressOf(network, owner);
        if (null != existing)
        {
            return existing + prefixLength;
        }
        for (int attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++)
        {
            final String address = freeAddress(wanted);
            if (null == address)
            {
                throw new IllegalStateException("cluster network " + network + " has no free address");
            }
            if (claim(network, address, owner))
            {
                return address + prefixLength;
            }
        }
        throw new IllegalStateException("cluster network " + network + ": no address claimed after " + CLAIM_ATTEMPTS + " attempts");
    }

    /** See {@link ClusterNode#release}. */
    boolean release(final String network, final String owner) throws EtcdException
    {
        final String address = view.addressOf(network, owner);
        if (null == address)
        {
            return false;
        }
        final String key = keys.address(network, address);
        owned.withdraw(key);
        session.apply(key, null);
        session.flush();
        return true;
    }

    /** See {@link ClusterNode#gateway}. */
    String gateway(final String network)
    {
        final Network wanted = view.networks.get(network);
        if (null == wanted)
        {
            throw new IllegalArgumentException("no cluster network named " + network);
        }
        return AddressBlocks.gateway(wanted);
    }

    private String freeAddress(final Network network) throws EtcdException
    {
        final Map<String, Allocation> allocated = view.addressesOf(network.name());
        for (final Map.Entry<String, Block> block : view.blocksOf(network.name()).entrySet())
        {
            if (block.getValue().node().equals(self.node()))
            {
                final String address = AddressBlocks.firstFree(network, block.getKey(), allocated, Set.of());
                if (null != address)
                {
                    return address;
                }
            }
        }
        session.requireStore();
        final long count = AddressBlocks.blockCount(network);
        final long first = AddressBlocks.firstCandidate(network, self.node());
        for (long i = 0; i < count; i++)
        {
            final String block = AddressBlocks.block(network, (first + i) % count);
            if (view.blocksOf(network.name()).containsKey(block))
            {
                continue;
            }
            final String key = keys.block(network.name(), block);
            final byte[] value = ClusterView.json(new Block(self.node()));
            if (session.store().create(key, value, session.lease()))
            {
                owned.adopt(key, value);
                session.apply(key, value);
                final String address = AddressBlocks.firstFree(network, block, allocated, Set.of());
                if (null != address)
                {
                    return address;
                }
            }
            else
            {
                conflicts++;
                session.refresh(key);
            }
        }
        // every block is claimed: borrow a free address from another node's, as Calico does without strict
        // affinity (the address key's compare-and-swap keeps it unique)
        for (final String block : view.blocksOf(network.name()).keySet())
        {
            final String address = AddressBlocks.firstFree(network, block, allocated, Set.of());
            if (null != address)
            {
                return address;
            }
        }
        return null;
    }

    /** Records {@code address} as {@code owner}'s: at once in the store if it is there, else when it returns. */
    private boolean claim(final String network, final String address, final String owner) throws EtcdException
    {
        final String key = keys.address(network, address);
        final byte[] value = ClusterView.json(new Allocation(self.node(), owner));
        if (session.isUp())
        {
            try
            {
                if (!session.store().create(key, value, session.lease()))
                {
                    conflicts++;
                    session.refresh(key);
                    return false;
                }
                owned.adopt(key, value);
                session.apply(key, value);
                return true;
            }
            catch (final EtcdException ex)
            {
                session.storeFailed(ex);
            }
        }
        owned.own(key, value);  // pending: written when the store returns
        session.apply(key, value);
        return true;
    }
}
