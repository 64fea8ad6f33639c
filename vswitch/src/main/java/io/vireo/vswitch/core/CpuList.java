package io.vireo.vswitch.core;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

import io.vireo.dataplane.nativeio.CpuAffinity;

/** CPU lists as Linux writes them ({@code taskset -c}, {@code Cpus_allowed_list}): {@code 0,2-3}. */
public final class CpuList
{
    private CpuList()
    {
    }

    /**
     * The CPUs of a list, in the order given: {@code 1}, {@code 0,1}, {@code 0-3}, {@code 4,0-1}. A CPU may
     * appear once.
     *
     * @throws IllegalArgumentException with what is wrong.
     */
    public static int[] parse(final String text)
    {
        if (null == text || text.isBlank())
        {
            throw new IllegalArgumentException("empty CPU list");
        }
        final List<Integer> cpus = new ArrayList<>();
        final BitSet seen = new BitSet();
        for (final String item : text.split(",", -1))
        {
            final String[] range = item.trim().split("-", -1);
            if (range.length > 2)
            {
                throw new IllegalArgumentException("bad CPU range '" + item + "' in '" + text + "'");
            }
            final int first = cpu(range[0], item, text);
            final int last = range.length == 2 ? cpu(range[1], item, text) : first;
            if (last < first)
            {
                throw new IllegalArgumentException("CPU range '" + item + "' runs backwards in '" + text + "'");
            }
            for (int cpu = first; cpu <= last; cpu++)
            {
                if (seen.get(cpu))
                {
                    throw new IllegalArgumentException("CPU " + cpu + " appears twice in '" + text + "'");
                }
                seen.set(cpu);
                cpus.add(cpu);
            }
        }
        return cpus.stream().mapToInt(Integer::intValue).toArray();
    }

    /** A set of CPUs as a list with ranges: {@code 0-3,6}. */
    public static String format(final BitSet cpus)
    {
        final StringBuilder text = new StringBuilder();
        for (int first = cpus.nextSetBit(0); first >= 0; )
        {
            final int end = cpus.nextClearBit(first);
            text.append(text.length() > 0 ? "," : "").append(first);
            if (end - 1 > first)
            {
                text.append('-').append(end - 1);
            }
            first = cpus.nextSetBit(end);
        }
        return text.toString();
    }

    private static int cpu(final String text, final String item, final String list)
    {
        final String trimmed = text.trim();
        if (trimmed.isEmpty() || !trimmed.chars().allMatch(Character::isDigit) || trimmed.length() > 4)
        {
            throw new IllegalArgumentException("bad CPU '" + item.trim() + "' in '" + list + "'");
        }
        final int cpu = Integer.parseInt(trimmed);
        if (cpu >= CpuAffinity.MAX_CPUS)
        {
            throw new IllegalArgumentException("CPU " + cpu + " is beyond " + (CpuAffinity.MAX_CPUS - 1) + " in '" + list + "'");
        }
        return cpu;
    }
}
