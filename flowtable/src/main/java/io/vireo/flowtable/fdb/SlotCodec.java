package io.vireo.flowtable.fdb;

/**
 * Packs and unpacks the three 64-bit words of a {@link ForwardingTable} slot. Only arithmetic: the
 * reads and writes are {@link SlotArray}'s.
 * <p>
 * A slot is 24 bytes: the control word at {@link #CONTROL_OFFSET}, the key at {@link #KEY_OFFSET}
 * and the value at {@link #VALUE_OFFSET}, each in native byte order; bit 0 is the least significant:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---+-----------------------------------------------------------+
 *  | St|                          Version                          |  control, bits 0-31
 *  +---+-----------------------------------------------------------+
 *  |                     Last seen, low 32 bits                    |  control, bits 32-63
 *  +---------------------------------------------------------------+
 *  |                        MAC, low 32 bits                       |  key, bits 0-31
 *  +-------------------------------+-------------------------------+
 *  |       MAC, high 16 bits       |           Bridge id           |  key, bits 32-63
 *  +-------------------------------+---------------------------+-+-+
 *  |                        Destination                        |S|C|  value, bits 0-31
 *  +-----------------------+-----------------------------------+-+-+
 *  |        VLAN id        |        Last seen, high 20 bits        |  value, bits 32-63
 *  +-----------------------+---------------------------------------+
 * </pre>
 * <ul>
 *   <li>St: the slot state. {@link #EMPTY} (free; ends a probe; zeroed memory is all EMPTY),
 *   {@link #LIVE}, {@link #TOMBSTONE} (removed; probes go on past it; an insert may take it) or
 *   {@link #BUSY} (a writer owns the slot).</li>
 *   <li>Version: 30 bits, incremented each time a writer releases the slot or removes its entry.
 *   State and version together, the control word's low 32 bits, are the slot's {@link #stamp}: it
 *   changes with every write except a refresh of the last-seen time.</li>
 *   <li>S: a static entry. C: the entry is counted against its destination's MAC limit.</li>
 *   <li>Last seen: the caller's millisecond clock modulo 2<sup>52</sup>. The low half sits in the
 *   control word so that a refresh is one CAS.</li>
 * </ul>
 * The low 32 bits of the value word (destination and flags) are what a probe hands back, so
 * {@link #destination} and {@link #isStatic} work on them as on the whole word.
 */
final class SlotCodec
{
    static final int CONTROL_OFFSET = 0;
    static final int KEY_OFFSET = 8;
    static final int VALUE_OFFSET = 16;
    static final int SLOT_LENGTH = 24;

    static final int EMPTY = 0;
    static final int LIVE = 1;
    static final int TOMBSTONE = 2;
    static final int BUSY = 3;

    static final long MAC_MASK = 0xFFFF_FFFF_FFFFL;
    static final int BRIDGE_MASK = 0xFFFF;
    static final int VLAN_MASK = 0xFFF;
    static final int DESTINATION_MASK = (1 << 30) - 1;
    static final long TIME_MASK = (1L << 52) - 1;
    static final long LOW_32_MASK = 0xFFFF_FFFFL;

    private static final long STATE_MASK = 0b11;
    private static final long VERSION_UNIT = 0b100;
    private static final long VERSION_MASK = 0xFFFF_FFFCL;
    private static final int BRIDGE_SHIFT = 48;
    private static final long STATIC_FLAG = 1L << 30;
    private static final long COUNTED_FLAG = 1L << 31;
    private static final int VLAN_SHIFT = 32;
    private static final int TIME_HIGH_SHIFT = 44;

    private SlotCodec()
    {
    }

    // Control word.

    static int state(final long control)
    {
        return (int)(control & STATE_MASK);
    }

    /**
     * @return state and version: equal stamps mean no writer changed the slot in between, bar a
     * refresh of the last-seen time.
     */
    static long stamp(final long control)
    {
        return control & LOW_32_MASK;
    }

    /**
     * @return the control word of a slot a writer owns: version and time kept, state BUSY.
     */
    static long busy(final long control)
    {
        return (control & ~STATE_MASK) | BUSY;
    }

    /**
     * @return the control word that releases an owned slot: new state, next version, last seen.
     */
    static long released(final long owned, final int state, final long time)
    {
        return (time << 32) | ((owned + VERSION_UNIT) & VERSION_MASK) | state;
    }

    /**
     * @return the control word of a removed entry: time kept, next version, TOMBSTONE.
     */
    static long tombstone(final long control)
    {
        return (control & ~LOW_32_MASK) | ((control + VERSION_UNIT) & VERSION_MASK) | TOMBSTONE;
    }

    /**
     * @return the control word with a new last-seen time, state and version kept.
     */
    static long refreshed(final long control, final long time)
    {
        return (time << 32) | stamp(control);
    }

    /**
     * @return the last-seen time stored in a slot's control and value words.
     */
    static long lastSeen(final long control, final long value)
    {
        return ((value >>> TIME_HIGH_SHIFT) << 32) | (control >>> 32);
    }

    /**
     * @return true if the control word alone can carry {@code time}: its high bits equal the value's.
     */
    static boolean isSameEpoch(final long value, final long time)
    {
        return (value >>> TIME_HIGH_SHIFT) == (time >>> 32);
    }

    /**
     * @return a clock reading as the table stores it, modulo 2<sup>52</sup>.
     */
    static long time(final long nowMs)
    {
        return nowMs & TIME_MASK;
    }

    // Key word.

    static long key(final int bridgeId, final long mac)
    {
        return ((long)bridgeId << BRIDGE_SHIFT) | mac;
    }

    static int bridgeId(final long key)
    {
        return (int)(key >>> BRIDGE_SHIFT);
    }

    static long mac(final long key)
    {
        return key & MAC_MASK;
    }

    // Value word.

    static long value(
        final int destination, final int vlan, final boolean isStatic, final boolean counted, final long time)
    {
        return ((time >>> 32) << TIME_HIGH_SHIFT) | ((long)vlan << VLAN_SHIFT) |
            (counted ? COUNTED_FLAG : 0) | (isStatic ? STATIC_FLAG : 0) | destination;
    }

    /**
     * @return the value word with the high bits of a new last-seen time.
     */
    static long withTime(final long value, final long time)
    {
        return ((time >>> 32) << TIME_HIGH_SHIFT) | (value & ((1L << TIME_HIGH_SHIFT) - 1));
    }

    static long withCounted(final long value)
    {
        return value | COUNTED_FLAG;
    }

    static int destination(final long value)
    {
        return (int)(value & DESTINATION_MASK);
    }

    static int vlan(final long value)
    {
        return (int)(value >>> VLAN_SHIFT) & VLAN_MASK;
    }

    static boolean isStatic(final long value)
    {
        return 0 != (value & STATIC_FLAG);
    }

    static boolean isCounted(final long value)
    {
        return 0 != (value & COUNTED_FLAG);
    }

    /**
     * @return true if a slot's key and value words hold this key and VLAN.
     */
    static boolean matches(final long slotKey, final long value, final long key, final int vlan)
    {
        return slotKey == key && vlan(value) == vlan;
    }
}
