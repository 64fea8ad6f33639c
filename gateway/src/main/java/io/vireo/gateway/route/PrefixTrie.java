package io.vireo.gateway.route;

import java.util.Arrays;

/**
 * The control thread's copy of the IPv4 routes: a binary trie on heap, one node per bit of a prefix,
 * in int arrays (no object per node). {@link Ipv4RouteTable} walks it to compute what a prefix's range
 * of the off-heap table must hold after an update, so an update rewrites that range only. Nodes that
 * hold no route and lead to none are pruned on removal and their slots reused.
 * <p>
 * Next hops are stored encoded as in the off-heap table: next hop + 1, 0 for no route.
 */
final class PrefixTrie
{
    /** No node. Node 0 is never used, so its fields read as "no route, no children". */
    static final int NIL = 0;
    static final int ROOT = 1;

    private static final int INITIAL_NODES = 64;

    private int[] children = new int[2 * INITIAL_NODES];
    private int[] hops = new int[INITIAL_NODES];
    private int nodeCount = 2;
    private int freeHead = NIL;
    private int size;
    private final int[] path = new int[33];

    int size()
    {
        return size;
    }

    /**
     * @return the child of {@code node} on side {@code bit} (0 or 1), or {@link #NIL}.
     */
    int child(final int node, final int bit)
    {
        return children[2 * node + bit];
    }

    boolean hasChildren(final int node)
    {
        return NIL != children[2 * node] || NIL != children[2 * node + 1];
    }

    /**
     * @return the encoded next hop of the route at {@code node}, 0 for none.
     */
    int hop(final int node)
    {
        return hops[node];
    }

    /**
     * @return the node of {@code prefix/length}, or {@link #NIL} if no route has it on its path
     * (for length 0, the root).
     */
    int node(final int prefix, final int length)
    {
        int node = ROOT;
        for (int depth = 0; depth < length && NIL != node; depth++)
        {
            node = child(node, bit(prefix, depth));
        }
        return node;
    }

    /**
     * @return the encoded next hop of the longest route of length 1..{@code length} - 1 that covers
     * {@code prefix}, 0 for none. The route of length 0 is left out: the table keeps it apart.
     */
    int coveringHop(final int prefix, final int length)
    {
        int hop = 0;
        int node = ROOT;
        for (int depth = 0; depth < length - 1; depth++)
        {
            node = child(node, bit(prefix, depth));
            if (NIL == node)
            {
                break;
            }
            if (0 != hops[node])
            {
                hop = hops[node];
            }
        }
        return hop;
    }

    /**
     * @return the encoded next hop of exactly {@code prefix/length}, 0 for none.
     */
    int get(final int prefix, final int length)
    {
        return hops[node(prefix, length)];
    }

    /**
     * Add or replace a route.
     */
    void put(final int prefix, final int length, final int encodedHop)
    {
        int node = ROOT;
        for (int depth = 0; depth < length; depth++)
        {
            final int side = 2 * node + bit(prefix, depth);
            int next = children[side];
            if (NIL == next)
            {
                next = newNode();
                children[side] = next;
            }
            node = next;
        }
        if (0 == hops[node])
        {
            size++;
        }
        hops[node] = encodedHop;
    }

    /**
     * Remove a route and prune the nodes that no longer lead to one.
     *
     * @return whether the route was there.
     */
    boolean remove(final int prefix, final int length)
    {
        int node = ROOT;
        path[0] = ROOT;
        for (int depth = 0; depth < length; depth++)
        {
            node = child(node, bit(prefix, depth));
            if (NIL == node)
            {
                return false;
            }
            path[depth + 1] = node;
        }
        if (0 == hops[node])
        {
            return false;
        }
        hops[node] = 0;
        size--;
        for (int depth = length; depth > 0 && 0 == hops[path[depth]] && !hasChildren(path[depth]); depth--)
        {
            children[2 * path[depth - 1] + bit(prefix, depth - 1)] = NIL;
            freeNode(path[depth]);
        }
        return true;
    }

    /**
     * Visit every route, shortest prefix first along each path, with its decoded next hop.
     */
    void forEach(final RouteConsumer consumer)
    {
        visit(ROOT, 0, 0, consumer);
    }

    static int bit(final int prefix, final int depth)
    {
        return (prefix >>> (31 - depth)) & 1;
    }

    private void visit(final int node, final int prefix, final int depth, final RouteConsumer consumer)
    {
        if (0 != hops[node])
        {
            consumer.accept(prefix, depth, hops[node] - 1);
        }
        for (int bit = 0; bit < 2; bit++)
        {
            final int next = child(node, bit);
            if (NIL != next)
            {
                visit(next, prefix | (bit << (31 - depth)), depth + 1, consumer);
            }
        }
    }

    private int newNode()
    {
        final int node;
        if (NIL != freeHead)
        {
            node = freeHead;
            freeHead = children[2 * node];
            children[2 * node] = NIL;
        }
        else
        {
            if (nodeCount == hops.length)
            {
                hops = Arrays.copyOf(hops, 2 * nodeCount);
                children = Arrays.copyOf(children, 4 * nodeCount);
            }
            node = nodeCount++;
        }
        return node;
    }

    private void freeNode(final int node)
    {
        hops[node] = 0;
        children[2 * node] = freeHead;
        children[2 * node + 1] = NIL;
        freeHead = node;
    }
}
