package io.vireo.flowtable.policy;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.ToLongFunction;

import io.vireo.flowtable.flowcache.FlowKey;

/**
 * One bridge's policy compiled for classification by bit-vector intersection (Lakshman and
 * Stiliadis, SIGCOMM 1998). Immutable: {@link PolicyTable} builds a new one for every change and
 * publishes it whole.
 * <p>
 * The rules are numbered 0..n-1 in evaluation order (priority descending, then id ascending). Each of
 * the seven fields a rule can match on is a <em>dimension</em>. For each dimension the value space is
 * cut into cells (a MAC, an address interval, a protocol, a port interval) such that every rule
 * either matches the whole cell or none of it, and each cell gets a row: an n-bit set of the rules
 * that match in that dimension. Identical rows are stored once in {@link #rows}, {@link #words}
 * longs each.
 * <pre>
 *   frame ─┬─ source MAC ────── hash probe ────────────┐
 *          ├─ destination MAC ─ hash probe ────────────┤
 *          ├─ source address ── binary search ─────────┤   row of each dimension
 *          ├─ destination addr  binary search ─────────┼──&gt; AND, word by word ──&gt; first set bit
 *          ├─ protocol ──────── table[257] ────────────┤    = highest-priority match
 *          ├─ source port ───── table[65536] ──────────┤
 *          └─ destination port  table[65536] ──────────┘
 * </pre>
 * Classifying is seven lookups (the address searches take log n steps without data-dependent
 * branches), then an AND of seven rows from the most important word on, stopping at the first word
 * with a bit set: when a high-priority rule matches, only the first word is read, and at most n / 64
 * words are. A dimension no rule restricts has one row of all rules and costs one load per word.
 * Nothing is allocated.
 * <p>
 * Memory is one row per distinct cell set, at most O(n<sup>2</sup>) bits per dimension but far
 * less for real policies, plus 128 KiB per port dimension that some rule restricts. The arrays are
 * on the heap rather than off-heap on purpose: a replaced rule set may still be in use by a
 * forwarding thread, and the garbage collector frees it only once no thread can reach it, which is
 * the grace period copy-on-write publication needs.
 */
final class RuleSet
{
    private static final int NON_IP = 256;
    private static final int PORTS = PolicyRule.MAX_PORT + 1;
    private static final BigInteger IPV4_SPACE = BigInteger.ONE.shiftLeft(IpPrefix.IPV4_BITS);
    private static final BigInteger IPV6_SPACE = BigInteger.ONE.shiftLeft(IpPrefix.IPV6_BITS);
    private static final BigInteger PORT_SPACE = BigInteger.valueOf(PORTS);

    private final PolicyRule[] rules;
    private final int defaultAction;
    private final int[] verdicts;
    private final int defaultVerdict;
    private final int words;
    private final long[] rows;
    private final MacIndex sourceMac;
    private final MacIndex destinationMac;
    private final AddressIndex sourceAddress;
    private final AddressIndex destinationAddress;
    private final int[] protocolRows;
    private final PortIndex sourcePort;
    private final PortIndex destinationPort;

    /**
     * @param rules         in evaluation order.
     * @param defaultAction when no rule matches.
     */
    RuleSet(final PolicyRule[] rules, final int defaultAction)
    {
        this.rules = rules;
        this.defaultAction = defaultAction;
        defaultVerdict = PolicyTable.verdict(PolicyTable.DEFAULT_RULE_ID, defaultAction);
        verdicts = new int[rules.length];
        for (int position = 0; position < rules.length; position++)
        {
            verdicts[position] = PolicyTable.verdict(rules[position].id(), rules[position].action());
        }

        words = Math.max(1, (rules.length + Long.SIZE - 1) / Long.SIZE);
        final Rows rowTable = new Rows(words);
        sourceMac = new MacIndex(rules, PolicyRule::sourceMac, rowTable);
        destinationMac = new MacIndex(rules, PolicyRule::destinationMac, rowTable);
        sourceAddress = new AddressIndex(rules, PolicyRule::sourcePrefix, rowTable);
        destinationAddress = new AddressIndex(rules, PolicyRule::destinationPrefix, rowTable);
        protocolRows = protocolRows(rules, rowTable);
        sourcePort = new PortIndex(rules, true, rowTable);
        destinationPort = new PortIndex(rules, false, rowTable);
        rows = rowTable.toArray();
    }

    /**
     * @return the rules in evaluation order. Do not modify.
     */
    PolicyRule[] rules()
    {
        return rules;
    }

    int defaultAction()
    {
        return defaultAction;
    }

    /**
     * @param key a frame's key.
     * @return the verdict of the highest-priority matching rule, or of the default action.
     */
    int classify(final FlowKey key)
    {
        if (0 == rules.length)
        {
            return defaultVerdict;
        }

        final int etherType = key.etherType();
        final boolean ipv4 = FlowKey.ETHERTYPE_IPV4 == etherType;
        final boolean ip = ipv4 || FlowKey.ETHERTYPE_IPV6 == etherType;
        final int words = this.words;
        final int a = sourceMac.row(key.sourceMac()) * words;
        final int b = destinationMac.row(key.destinationMac()) * words;
        final int c = sourceAddress.row(ip, ipv4, key.sourceAddressHigh(), key.sourceAddressLow()) * words;
        final int d = destinationAddress.row(ip, ipv4, key.destinationAddressHigh(), key.destinationAddressLow()) * words;
        final int e = protocolRows[ip ? key.protocol() : NON_IP] * words;
        final int f = sourcePort.row(key.sourcePort()) * words;
        final int g = destinationPort.row(key.destinationPort()) * words;

        final long[] rows = this.rows;
        for (int word = 0; word < words; word++)
        {
            final long match = rows[a + word] & rows[b + word] & rows[c + word] & rows[d + word] &
                rows[e + word] & rows[f + word] & rows[g + word];
            if (0 != match)
            {
                return verdicts[word * Long.SIZE + Long.numberOfTrailingZeros(match)];
            }
        }
        return defaultVerdict;
    }

    private static int[] protocolRows(final PolicyRule[] rules, final Rows rowTable)
    {
        final long[] any = rowTable.newRow();
        for (int position = 0; position < rules.length; position++)
        {
            if (PolicyRule.ANY_PROTOCOL == rules[position].protocol())
            {
                set(any, position);
            }
        }

        final long[][] cells = new long[NON_IP + 1][];
        for (int cell = 0; cell < cells.length; cell++)
        {
            cells[cell] = any.clone();
        }
        for (int position = 0; position < rules.length; position++)
        {
            final int protocol = rules[position].protocol();
            if (PolicyRule.ANY_PROTOCOL != protocol)
            {
                set(cells[protocol], position);
            }
        }

        final int[] protocolRows = new int[cells.length];
        for (int cell = 0; cell < cells.length; cell++)
        {
            protocolRows[cell] = rowTable.intern(cells[cell]);
        }
        return protocolRows;
    }

    private static void set(final long[] row, final int position)
    {
        row[position / Long.SIZE] |= 1L << position;
    }

    /**
     * Cut {@code [0, space)} at the bounds of the rules' ranges and give each cell the row of the
     * rules covering it, on top of {@code base}. Adjacent cells with equal rows merge.
     *
     * @param ranges per rule position, {from, to} with {@code to} exclusive, or null for a rule
     *               that has no range in this space.
     * @return the start of each cell (ascending, the first 0) and, at the same index in
     * {@code cellRows}, its row.
     */
    private static BigInteger[] partition(
        final BigInteger space, final BigInteger[][] ranges, final long[] base, final Rows rowTable,
        final List<Integer> cellRows)
    {
        final TreeSet<BigInteger> cuts = new TreeSet<>();
        cuts.add(BigInteger.ZERO);
        for (final BigInteger[] range : ranges)
        {
            if (null != range)
            {
                cuts.add(range[0]);
                if (range[1].compareTo(space) < 0)
                {
                    cuts.add(range[1]);
                }
            }
        }

        final BigInteger[] starts = cuts.toArray(new BigInteger[0]);
        final long[][] cells = new long[starts.length][];
        for (int cell = 0; cell < cells.length; cell++)
        {
            cells[cell] = base.clone();
        }
        for (int position = 0; position < ranges.length; position++)
        {
            final BigInteger[] range = ranges[position];
            if (null != range)
            {
                final int first = Arrays.binarySearch(starts, range[0]);
                final int end = range[1].compareTo(space) < 0 ? Arrays.binarySearch(starts, range[1]) : starts.length;
                for (int cell = first; cell < end; cell++)
                {
                    set(cells[cell], position);
                }
            }
        }

        final List<BigInteger> merged = new ArrayList<>();
        for (int cell = 0; cell < cells.length; cell++)
        {
            final int row = rowTable.intern(cells[cell]);
            if (cellRows.isEmpty() || cellRows.get(cellRows.size() - 1).intValue() != row)
            {
                merged.add(starts[cell]);
                cellRows.add(row);
            }
        }
        return merged.toArray(new BigInteger[0]);
    }

    private static BigInteger unsigned(final long value)
    {
        return new BigInteger(Long.toUnsignedString(value));
    }

    private static int[] toIntArray(final List<Integer> values)
    {
        return values.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * Rows, each stored once. Row indexes fit a {@code char}, as {@link PortIndex} needs: n rules
     * make at most n + 1 rows per MAC dimension, 4n + 3 per address dimension, 257 for protocols and
     * 2n + 1 per port dimension, 14n + 267 in all, under 65536 for
     * {@link PolicyTable#MAX_RULES_PER_BRIDGE} rules.
     */
    private static final class Rows
    {
        private final int words;
        private final Map<Row, Integer> index = new HashMap<>();
        private final List<long[]> rows = new ArrayList<>();

        Rows(final int words)
        {
            this.words = words;
        }

        long[] newRow()
        {
            return new long[words];
        }

        int intern(final long[] bits)
        {
            return index.computeIfAbsent(new Row(bits), row ->
            {
                rows.add(bits);
                return rows.size() - 1;
            });
        }

        long[] toArray()
        {
            final long[] all = new long[rows.size() * words];
            for (int row = 0; row < rows.size(); row++)
            {
                System.arraycopy(rows.get(row), 0, all, row * words, words);
            }
            return all;
        }
    }

    /**
     * A row as a map key, compared by content.
     */
    private static final class Row
    {
        private final long[] bits;
        private final int hash;

        Row(final long[] bits)
        {
            this.bits = bits;
            hash = Arrays.hashCode(bits);
        }

        @Override
        public boolean equals(final Object other)
        {
            return other instanceof Row && Arrays.equals(bits, ((Row)other).bits);
        }

        @Override
        public int hashCode()
        {
            return hash;
        }
    }

    /**
     * A MAC dimension: open addressing from each MAC some rule names to its row; any other MAC gets
     * the row of the rules that name none.
     */
    private static final class MacIndex
    {
        private static final long EMPTY = -1;

        private final long[] macs;
        private final int[] macRows;
        private final int mask;
        private final int anyRow;

        MacIndex(final PolicyRule[] rules, final ToLongFunction<PolicyRule> field, final Rows rowTable)
        {
            final long[] any = rowTable.newRow();
            final Map<Long, long[]> named = new HashMap<>();
            for (int position = 0; position < rules.length; position++)
            {
                final long mac = field.applyAsLong(rules[position]);
                if (PolicyRule.ANY_MAC == mac)
                {
                    set(any, position);
                }
                else
                {
                    set(named.computeIfAbsent(mac, m -> rowTable.newRow()), position);
                }
            }

            final int size = Integer.highestOneBit(Math.max(1, named.size()) * 2);
            mask = size - 1;
            macs = new long[size];
            macRows = new int[size];
            Arrays.fill(macs, EMPTY);
            for (final Map.Entry<Long, long[]> entry : named.entrySet())
            {
                final long[] row = entry.getValue();
                for (int word = 0; word < row.length; word++)
                {
                    row[word] |= any[word];
                }
                int slot = slot(entry.getKey());
                while (EMPTY != macs[slot])
                {
                    slot = (slot + 1) & mask;
                }
                macs[slot] = entry.getKey();
                macRows[slot] = rowTable.intern(row);
            }
            anyRow = rowTable.intern(any);
        }

        int row(final long mac)
        {
            for (int slot = slot(mac); ; slot = (slot + 1) & mask)
            {
                final long slotMac = macs[slot];
                if (slotMac == mac)
                {
                    return macRows[slot];
                }
                if (EMPTY == slotMac)
                {
                    return anyRow;
                }
            }
        }

        private int slot(final long mac)
        {
            return (int)((mac * 0x9E37_79B9_7F4A_7C15L) >>> 40) & mask;
        }
    }

    /**
     * An address dimension: sorted interval starts per family, searched for the last start at or
     * below the address. Frames without IP get the row of the rules that name no prefix.
     */
    private static final class AddressIndex
    {
        private final int nonIpRow;
        private final int[] ipv4Starts;
        private final int[] ipv4Rows;
        private final long[] ipv6StartsHigh;
        private final long[] ipv6StartsLow;
        private final int[] ipv6Rows;

        AddressIndex(final PolicyRule[] rules, final Function<PolicyRule, IpPrefix> field, final Rows rowTable)
        {
            final long[] any = rowTable.newRow();
            final BigInteger[][] ipv4Ranges = new BigInteger[rules.length][];
            final BigInteger[][] ipv6Ranges = new BigInteger[rules.length][];
            for (int position = 0; position < rules.length; position++)
            {
                final IpPrefix prefix = field.apply(rules[position]);
                if (null == prefix)
                {
                    set(any, position);
                }
                else
                {
                    final BigInteger from = unsigned(prefix.high()).shiftLeft(Long.SIZE).or(unsigned(prefix.low()));
                    final BigInteger to = from.add(BigInteger.ONE.shiftLeft(prefix.addressBits() - prefix.length()));
                    (prefix.isIpv4() ? ipv4Ranges : ipv6Ranges)[position] = new BigInteger[] { from, to };
                }
            }
            nonIpRow = rowTable.intern(any);

            final List<Integer> v4Rows = new ArrayList<>();
            final BigInteger[] v4Starts = partition(IPV4_SPACE, ipv4Ranges, any, rowTable, v4Rows);
            ipv4Starts = new int[v4Starts.length];
            for (int cell = 0; cell < v4Starts.length; cell++)
            {
                ipv4Starts[cell] = v4Starts[cell].intValue();
            }
            ipv4Rows = toIntArray(v4Rows);

            final List<Integer> v6Rows = new ArrayList<>();
            final BigInteger[] v6Starts = partition(IPV6_SPACE, ipv6Ranges, any, rowTable, v6Rows);
            ipv6StartsHigh = new long[v6Starts.length];
            ipv6StartsLow = new long[v6Starts.length];
            for (int cell = 0; cell < v6Starts.length; cell++)
            {
                ipv6StartsHigh[cell] = v6Starts[cell].shiftRight(Long.SIZE).longValue();
                ipv6StartsLow[cell] = v6Starts[cell].longValue();
            }
            ipv6Rows = toIntArray(v6Rows);
        }

        int row(final boolean ip, final boolean ipv4, final long high, final long low)
        {
            if (!ip)
            {
                return nonIpRow;
            }
            return ipv4 ? ipv4Rows[searchIpv4((int)low)] : ipv6Rows[searchIpv6(high, low)];
        }

        /**
         * Halve the candidate range each step with no data-dependent branch for the CPU to guess.
         */
        private int searchIpv4(final int address)
        {
            final int[] starts = ipv4Starts;
            int base = 0;
            for (int length = starts.length; length > 1; length -= length >>> 1)
            {
                final int middle = base + (length >>> 1);
                base = Integer.compareUnsigned(starts[middle], address) <= 0 ? middle : base;
            }
            return base;
        }

        private int searchIpv6(final long high, final long low)
        {
            final long[] startsHigh = ipv6StartsHigh;
            final long[] startsLow = ipv6StartsLow;
            int base = 0;
            for (int length = startsHigh.length; length > 1; length -= length >>> 1)
            {
                final int middle = base + (length >>> 1);
                final int compare = Long.compareUnsigned(startsHigh[middle], high);
                base = compare < 0 || (0 == compare && Long.compareUnsigned(startsLow[middle], low) <= 0) ? middle : base;
            }
            return base;
        }
    }

    /**
     * A port dimension: a direct table from port to row when some rule restricts the port, else one
     * row for every port.
     */
    private static final class PortIndex
    {
        private final char[] portRows;
        private final int mask;

        PortIndex(final PolicyRule[] rules, final boolean source, final Rows rowTable)
        {
            final BigInteger[][] ranges = new BigInteger[rules.length][];
            for (int position = 0; position < rules.length; position++)
            {
                final PolicyRule rule = rules[position];
                final int low = source ? rule.sourcePortLow() : rule.destinationPortLow();
                final int high = source ? rule.sourcePortHigh() : rule.destinationPortHigh();
                ranges[position] = new BigInteger[] { BigInteger.valueOf(low), BigInteger.valueOf(high + 1L) };
            }

            final List<Integer> cellRows = new ArrayList<>();
            final BigInteger[] starts = partition(PORT_SPACE, ranges, rowTable.newRow(), rowTable, cellRows);
            if (1 == starts.length)
            {
                portRows = new char[] { (char)(int)cellRows.get(0) };
                mask = 0;
                return;
            }

            portRows = new char[PORTS];
            mask = PORTS - 1;
            for (int cell = 0; cell < starts.length; cell++)
            {
                final int end = cell + 1 < starts.length ? starts[cell + 1].intValue() : PORTS;
                Arrays.fill(portRows, starts[cell].intValue(), end, (char)(int)cellRows.get(cell));
            }
        }

        int row(final int port)
        {
            return portRows[port & mask];
        }
    }
}
