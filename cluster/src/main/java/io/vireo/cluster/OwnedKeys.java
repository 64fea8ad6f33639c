package io.vireo.cluster;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Predicate;

import io.vireo.cluster.etcd.EtcdClient;
import io.vireo.cluster.etcd.EtcdException;

/**
 * The keys a node must have in the store (its member record, endpoints, blocks, allocations) with their values,
 * and the keys whose write or delete the store has not taken yet (<em>pending</em>): a write that fails stays
 * pending and is tried again by the next {@link #flush}, so what changed while the store was away reaches it
 * when it returns. Used on the cluster thread only.
 */
final class OwnedKeys
{
    private final ClusterKeys keys;
    private final Map<String, byte[]> owned = new HashMap<>();
    private final Set<String> pending = new LinkedHashSet<>();
    /** Claims given up on return: another node took them while this one was away longer than its lease. */
    private long lostClaims;

    OwnedKeys(final ClusterKeys keys)
    {
        this.keys = keys;
    }

    /** Owns {@code key} with {@code value}; pending if that changes what the store should have. */
    void own(final String key, final byte[] value)
    {
        if (!Arrays.equals(value, owned.put(key, value)))
        {
            pending.add(key);
        }
    }

    /** Owns a key the store has already (read back at connect): nothing to write. */
    void adopt(final String key, final byte[] value)
    {
        owned.put(key, value);
    }

    /** Gives {@code key} up: it is to be deleted from the store, owned or not. */
    void withdraw(final String key)
    {
        owned.remove(key);
        pending.add(key);
    }

    /** Forgets keys that are gone from the store already; nothing to write. */
    void forget(final Predicate<String> which)
    {
        owned.keySet().removeIf(which);
        pending.removeIf(which);
    }

    boolean owns(final String key)
    {
        return owned.containsKey(key);
    }

    /** Makes every owned key pending: the store lost them with the lease they were under. */
    void rewriteAll()
    {
        pending.addAll(owned.keySet());
    }

    int pendingCount()
    {
        return pending.size();
    }

    long lostClaims()
    {
        return lostClaims;
    }

    /** Each pending key with the value it is to have, null for one to be deleted. */
    void forEachPending(final BiConsumer<String, byte[]> action)
    {
        for (final String key : pending)
        {
            action.accept(key, owned.get(key));
        }
    }

    /**
     * Writes the pending keys: owned ones put under {@code lease}, the others deleted. A block or an address is
     * written only if no other node took it meanwhile (this node was away longer than its lease): one that
     * was is given up and counted as a lost claim, never overwritten, and {@code takenBy} is told the value the
     * store has. Stops at the first failure, which leaves that key and the rest pending.
     */
    void flush(final EtcdClient store, final long lease, final BiConsumer<String, byte[]> takenBy) throws EtcdException
    {
        for (final String key : List.copyOf(pending))
        {
            final byte[] value = owned.get(key);
            if (null == value)
            {
                store.delete(key);
            }
            else if (isClaim(key) && !store.create(key, value, lease))
            {
                final Optional<EtcdClient.KeyValue> current = store.get(key);
                if (current.isEmpty() || Arrays.equals(current.get().value(), value))
                {
                    store.put(key, value, lease);
                }
                else
                {
                    lostClaims++;
                    owned.remove(key);
                    takenBy.accept(key, current.get().value());
                }
            }
            else
            {
                store.put(key, value, lease);
            }
            pending.remove(key);
        }
    }

    private boolean isClaim(final String key)
    {
        final ClusterKeys.Parsed parsed = keys.parse(key);
        return null != parsed && (parsed.kind() == ClusterKeys.Kind.BLOCK || parsed.kind() == ClusterKeys.Kind.ADDRESS);
    }
}
