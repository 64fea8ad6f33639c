package io.vireo.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The cluster's state as this node last read it from the store: members, networks, endpoints, address
 * blocks and allocations, kept up to date by the watch. Plain maps, used by the cluster thread only. A
 * value that does not decode (a foreign writer, a newer layout) is left out and counted, never thrown.
 */
final class ClusterView
{
    static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** A value as the store keeps it: JSON. */
    static byte[] json(final Object value)
    {
        try
        {
            return JSON.writeValueAsBytes(value);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private final ClusterKeys keys;
    final Map<String, Member> members = new HashMap<>();
    /** underlay → the members at that address (one, unless a node moved and its old record lingers). */
    private final Map<String, Set<String>> membersByUnderlay = new HashMap<>();
    final Map<String, Network> networks = new HashMap<>();
    /** network → MAC → endpoint. */
    final Map<String, Map<String, PublishedEndpoint>> endpoints = new HashMap<>();
    /** node → the endpoints it published, so a member's coming and going touches only its own. */
    final Map<String, Set<EndpointRef>> endpointsByNode = new HashMap<>();
    /** network → block (ADDRESS/LEN) → owner. */
    final Map<String, Map<String, Block>> blocks = new HashMap<>();
    /** network → address → allocation. */
    final Map<String, Map<String, Allocation>> addresses = new HashMap<>();
    /** network → owner → address. */
    final Map<String, Map<String, String>> owners = new HashMap<>();
    long revision;
    long malformed;

    ClusterView(final ClusterKeys keys)
    {
        this.keys = keys;
    }

    /** A network's endpoint, named by network and MAC. */
    record EndpointRef(String network, String mac)
    {
    }

    /** What one store event changed, for the reconciler; null for an event that changed nothing it keeps. */
    record Change(ClusterKeys.Kind kind, String name, String item, String previousNode)
    {
    }

    void clear()
    {
        members.clear();
        membersByUnderlay.clear();
        networks.clear();
        endpoints.clear();
        endpointsByNode.clear();
        blocks.clear();
        addresses.clear();
        owners.clear();
    }

    /** Applies a put of {@code key}; returns what it changed, or null. */
    Change put(final String key, final byte[] value)
    {
        final ClusterKeys.Parsed parsed = keys.parse(key);
        if (null == parsed)
        {
            return null;
        }
        try
        {
            return switch (parsed.kind())
            {
                case MEMBER -> putMember(parsed, JSON.readValue(value, Member.class));
                case NETWORK -> putNetwork(parsed, JSON.readValue(value, Network.class));
                case ENDPOINT -> putEndpoint(parsed, JSON.readValue(value, PublishedEndpoint.class));
                case BLOCK -> putBlock(parsed, JSON.readValue(value, Block.class));
                case ADDRESS -> putAddress(parsed, JSON.readValue(value, Allocation.class));
            };
        }
        catch (final IOException | IllegalArgumentException ex)
        {
            malformed++;
            return delete(key);
        }
    }

    /** Applies a delete of {@code key}; returns what it changed, or null. */
    Change delete(final String key)
    {
        final ClusterKeys.Parsed parsed = keys.parse(key);
        if (null == parsed)
        {
            return null;
        }
        final String name = parsed.name();
        final String item = parsed.item();
        switch (parsed.kind())
        {
            case MEMBER:
            {
                final Member removed = members.remove(name);
                if (null == removed)
                {
                    return null;
                }
                unindexMember(removed);
                return change(parsed, null);
            }
            case NETWORK:
                return null == networks.remove(name) ? null : change(parsed, null);
            case ENDPOINT:
            {
                final PublishedEndpoint removed = removeIn(endpoints, name, item);
                if (null == removed)
                {
                    return null;
                }
                unindex(removed.node(), new EndpointRef(name, item));
                return change(parsed, removed.node());
            }
            case BLOCK:
                return null == removeIn(blocks, name, item) ? null : change(parsed, null);
            case ADDRESS:
            {
                final Allocation removed = removeIn(addresses, name, item);
                if (null == removed)
                {
                    return null;
                }
                removeIn(owners, name, removed.owner());
                return change(parsed, null);
            }
            default:
                return null;
        }
    }

    private Change putMember(final ClusterKeys.Parsed parsed, final Member member)
    {
        if (!parsed.name().equals(member.node()))
        {
            throw new IllegalArgumentException("member key and value disagree");
        }
        ClusterConfig.checkIpv4(member.underlay(), "underlay");
        final Member previous = members.put(parsed.name(), member);
        if (null != previous)
        {
            unindexMember(previous);
        }
        membersByUnderlay.computeIfAbsent(member.underlay(), u -> new HashSet<>(2)).add(member.node());
        return member.equals(previous) ? null : change(parsed, null);
    }

    private Change putNetwork(final ClusterKeys.Parsed parsed, final Network network)
    {
        if (!parsed.name().equals(network.name()))
        {
            throw new IllegalArgumentException("network key and value disagree");
        }
        AddressBlocks.check(network);
        final Network previous = networks.put(parsed.name(), network);
        return network.equals(previous) ? null : change(parsed, null);
    }

    private Change putEndpoint(final ClusterKeys.Parsed parsed, final PublishedEndpoint endpoint)
    {
        if (!parsed.item().equals(endpoint.mac()) || null == endpoint.node())
        {
            throw new IllegalArgumentException("endpoint key and value disagree");
        }
        // kept with the names the view has already (the key's MAC, the member's node, the network's name), so
        // a hundred thousand endpoints do not hold a hundred thousand copies of each
        final Network network = networks.get(parsed.name());
        final Member member = members.get(endpoint.node());
        final EndpointRef ref = new EndpointRef(null == network ? parsed.name() : network.name(), parsed.item());
        final PublishedEndpoint kept = new PublishedEndpoint(
            parsed.item(), endpoint.addresses(), null == member ? endpoint.node() : member.node());
        final PublishedEndpoint previous = endpoints.computeIfAbsent(ref.network(), n -> new HashMap<>())
            .put(parsed.item(), kept);
        if (null != previous)
        {
            unindex(previous.node(), ref);
        }
        endpointsByNode.computeIfAbsent(kept.node(), n -> new HashSet<>()).add(ref);
        return kept.equals(previous) ? null : change(parsed, null == previous ? null : previous.node());
    }

    private Change putBlock(final ClusterKeys.Parsed parsed, final Block block)
    {
        if (null == block.node())
        {
            throw new IllegalArgumentException("block without owner");
        }
        blocks.computeIfAbsent(parsed.name(), n -> new HashMap<>()).put(parsed.item(), block);
        return change(parsed, null);
    }

    private Change putAddress(final ClusterKeys.Parsed parsed, final Allocation allocation)
    {
        if (null == allocation.node() || null == allocation.owner())
        {
            throw new IllegalArgumentException("allocation without node or owner");
        }
        final Allocation previous = addresses.computeIfAbsent(parsed.name(), n -> new HashMap<>())
            .put(parsed.item(), allocation);
        if (null != previous)
        {
            removeIn(owners, parsed.name(), previous.owner());
        }
        owners.computeIfAbsent(parsed.name(), n -> new HashMap<>()).put(allocation.owner(), parsed.item());
        return change(parsed, null);
    }

    PublishedEndpoint endpoint(final String network, final String mac)
    {
        final Map<String, PublishedEndpoint> ofNetwork = endpoints.get(network);
        return null == ofNetwork ? null : ofNetwork.get(mac);
    }

    /** The members whose underlay address is {@code underlay}, by node name. */
    Set<String> membersAt(final String underlay)
    {
        return membersByUnderlay.getOrDefault(underlay, Set.of());
    }

    Set<EndpointRef> endpointsOf(final String node)
    {
        return endpointsByNode.getOrDefault(node, Set.of());
    }

    Map<String, Block> blocksOf(final String network)
    {
        return blocks.getOrDefault(network, Map.of());
    }

    Map<String, Allocation> addressesOf(final String network)
    {
        return addresses.getOrDefault(network, Map.of());
    }

    String addressOf(final String network, final String owner)
    {
        final Map<String, String> ofNetwork = owners.get(network);
        return null == ofNetwork ? null : ofNetwork.get(owner);
    }

    int endpointCount()
    {
        int count = 0;
        for (final Map<String, PublishedEndpoint> ofNetwork : endpoints.values())
        {
            count += ofNetwork.size();
        }
        return count;
    }

    private void unindexMember(final Member member)
    {
        final Set<String> atUnderlay = membersByUnderlay.get(member.underlay());
        if (null != atUnderlay && atUnderlay.remove(member.node()) && atUnderlay.isEmpty())
        {
            membersByUnderlay.remove(member.underlay());
        }
    }

    private void unindex(final String node, final EndpointRef ref)
    {
        final Set<EndpointRef> ofNode = endpointsByNode.get(node);
        if (null != ofNode && ofNode.remove(ref) && ofNode.isEmpty())
        {
            endpointsByNode.remove(node);
        }
    }

    private static <V> V removeIn(final Map<String, Map<String, V>> maps, final String name, final String item)
    {
        final Map<String, V> inner = maps.get(name);
        if (null == inner)
        {
            return null;
        }
        final V removed = inner.remove(item);
        if (inner.isEmpty())
        {
            maps.remove(name);
        }
        return removed;
    }

    private static Change change(final ClusterKeys.Parsed parsed, final String previousNode)
    {
        return new Change(parsed.kind(), parsed.name(), parsed.item(), previousNode);
    }
}
