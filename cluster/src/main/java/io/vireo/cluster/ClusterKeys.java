package io.vireo.cluster;

/**
 * The cluster's keys in the store, under one prefix (default {@code /vireo/}); values are JSON.
 * <pre>
 *  members/NODE                 {@link Member}             NODE's lease: gone when NODE stops renewing
 *  networks/NETWORK             {@link Network}            no lease: a network lives until deleted
 *  endpoints/NETWORK/MAC        {@link PublishedEndpoint}  the lease of the node the endpoint is on
 *  blocks/NETWORK/ADDRESS-LEN   {@link Block}              the owner's lease: a dead node's blocks return
 *  addresses/NETWORK/ADDRESS    {@link Allocation}         the allocating node's lease, likewise
 * </pre>
 * Names of nodes and networks are letters, digits and {@code _.-}, MACs lower-case colon-separated,
 * addresses IPv4 ({@code 10.1.0.64}) or IPv6 in RFC 5952's canonical form ({@code fd00:10::40}, see
 * {@link AddressBlocks}), so no part of a key needs escaping and a key splits on '/'.
 */
public final class ClusterKeys
{
    static final String MEMBERS = "members/";
    static final String NETWORKS = "networks/";
    static final String ENDPOINTS = "endpoints/";
    static final String BLOCKS = "blocks/";
    static final String ADDRESSES = "addresses/";

    private final String prefix;

    public ClusterKeys(final String prefix)
    {
        this.prefix = prefix;
    }

    public String prefix()
    {
        return prefix;
    }

    public String member(final String node)
    {
        return prefix + MEMBERS + node;
    }

    public String network(final String network)
    {
        return prefix + NETWORKS + network;
    }

    public String endpoint(final String network, final String mac)
    {
        return prefix + ENDPOINTS + network + '/' + mac;
    }

    public String endpoints(final String network)
    {
        return prefix + ENDPOINTS + network + '/';
    }

    public String block(final String network, final String block)
    {
        return prefix + BLOCKS + network + '/' + block.replace('/', '-');
    }

    public String blocks(final String network)
    {
        return prefix + BLOCKS + network + '/';
    }

    public String address(final String network, final String address)
    {
        return prefix + ADDRESSES + network + '/' + address;
    }

    public String addresses(final String network)
    {
        return prefix + ADDRESSES + network + '/';
    }

    /** A key of this cluster taken apart, or null for one that is not (another prefix, a foreign layout). */
    Parsed parse(final String key)
    {
        if (!key.startsWith(prefix))
        {
            return null;
        }
        final String[] parts = key.substring(prefix.length()).split("/", -1);
        final Kind kind = switch (parts[0] + '/')
        {
            case MEMBERS -> Kind.MEMBER;
            case NETWORKS -> Kind.NETWORK;
            case ENDPOINTS -> Kind.ENDPOINT;
            case BLOCKS -> Kind.BLOCK;
            case ADDRESSES -> Kind.ADDRESS;
            default -> null;
        };
        if (null == kind || parts.length != (kind == Kind.MEMBER || kind == Kind.NETWORK ? 2 : 3))
        {
            return null;
        }
        for (int i = 1; i < parts.length; i++)
        {
            if (parts[i].isEmpty())
            {
                return null;
            }
        }
        return new Parsed(kind, parts[1], parts.length == 3 ? parts[2] : null);
    }

    enum Kind
    {
        MEMBER, NETWORK, ENDPOINT, BLOCK, ADDRESS
    }

    /**
     * @param kind what the key holds.
     * @param name the node (MEMBER) or the network (the others).
     * @param item the MAC (ENDPOINT), the block as ADDRESS/LEN (BLOCK), the address (ADDRESS); null otherwise.
     */
    record Parsed(Kind kind, String name, String item)
    {
        Parsed
        {
            if (kind == Kind.BLOCK)
            {
                final int dash = item.lastIndexOf('-');
                item = dash < 0 ? item : item.substring(0, dash) + '/' + item.substring(dash + 1);
            }
        }
    }
}
