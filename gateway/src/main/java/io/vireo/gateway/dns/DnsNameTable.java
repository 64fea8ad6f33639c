package io.vireo.gateway.dns;

import java.util.List;

import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.collections.Hashing;
import org.agrona.concurrent.UnsafeBuffer;

import static io.vireo.gateway.dns.DnsNames.lowerCase;
import static io.vireo.gateway.dns.DnsRecords.APEX;
import static io.vireo.gateway.dns.DnsRecords.MAX_LABEL_LENGTH;
import static io.vireo.gateway.dns.DnsRecords.NOT_FOUND;

/**
 * The names of a {@link DnsRecords} in wire format, lower-cased, one after another in one buffer, and
 * an open-addressing hash table over the first of them (the owners), hashed and compared with ASCII
 * letters folded to lower case (RFC 4343): finds a name given in wire format in a buffer without
 * allocating. Name {@link DnsRecords#APEX} is the domain. Immutable.
 */
final class DnsNameTable
{
    private final UnsafeBuffer names;
    private final int[] nameOffsets;
    private final int[] nameLengths;
    private final int[] slots;
    private final int mask;

    /**
     * @param allNames   canonical names, the domain first.
     * @param ownerCount how many of the first names {@link #lookup} finds; the others are only held.
     */
    DnsNameTable(final List<String> allNames, final int ownerCount)
    {
        final byte[][] wire = new byte[allNames.size()][];
        int total = 0;
        for (int i = 0; i < wire.length; i++)
        {
            wire[i] = DnsNames.toWire(allNames.get(i));
            total += wire[i].length;
        }
        names = new UnsafeBuffer(new byte[total]);
        nameOffsets = new int[wire.length];
        nameLengths = new int[wire.length];
        for (int i = 0, offset = 0; i < wire.length; offset += wire[i].length, i++)
        {
            names.putBytes(offset, wire[i]);
            nameOffsets[i] = offset;
            nameLengths[i] = wire[i].length;
        }

        slots = new int[BitUtil.findNextPositivePowerOfTwo(2 * ownerCount)];
        mask = slots.length - 1;
        for (int name = 0; name < ownerCount; name++)
        {
            int slot = hash(names, nameOffsets[name], nameLengths[name]) & mask;
            while (0 != slots[slot])
            {
                slot = (slot + 1) & mask;
            }
            slots[slot] = name + 1;
        }
    }

    /**
     * Finds a name, with ASCII letters matched without regard to case.
     *
     * @param buffer holds the name in wire format, uncompressed, at {@code offset}.
     * @param offset index of its first length byte.
     * @param length bytes of the name, root label included.
     * @return the name's index, or {@link DnsRecords#NOT_FOUND} if the name is neither an owner nor between an
     * owner and the domain.
     */
    int lookup(final DirectBuffer buffer, final int offset, final int length)
    {
        int slot = hash(buffer, offset, length) & mask;
        int entry;
        while (0 != (entry = slots[slot]))
        {
            final int name = entry - 1;
            if (nameLengths[name] == length && equalsIgnoreCase(buffer, offset, nameOffsets[name], length))
            {
                return name;
            }
            slot = (slot + 1) & mask;
        }
        return NOT_FOUND;
    }

    /**
     * Whether a name lies in the domain: equals it, or ends with it at a label boundary
     * ({@code web.svc.vireo} does, {@code websvc.vireo} does not), ASCII case ignored.
     *
     * @param buffer holds the name in wire format, uncompressed, at {@code offset}.
     * @param offset index of its first length byte.
     * @param length bytes of the name, root label included.
     * @return true if the name is the domain or below it.
     */
    boolean inDomain(final DirectBuffer buffer, final int offset, final int length)
    {
        final int domainLength = nameLengths[APEX];
        final int end = offset + length;
        int position = offset;
        while (end - position > domainLength)
        {
            final int label = buffer.getByte(position) & 0xFF;
            if (0 == label || label > MAX_LABEL_LENGTH)
            {
                return false;
            }
            position += 1 + label;
        }
        return end - position == domainLength && equalsIgnoreCase(buffer, position, nameOffsets[APEX], domainLength);
    }

    DirectBuffer names()
    {
        return names;
    }

    int nameOffset(final int name)
    {
        return nameOffsets[name];
    }

    int nameLength(final int name)
    {
        return nameLengths[name];
    }

    private boolean equalsIgnoreCase(final DirectBuffer buffer, final int offset, final int nameOffset, final int length)
    {
        for (int i = 0; i < length; i++)
        {
            if (lowerCase(buffer.getByte(offset + i)) != names.getByte(nameOffset + i))
            {
                return false;
            }
        }
        return true;
    }

    /** Length bytes are at most 63, below 'A', so folding every byte folds only letters. */
    private static int hash(final DirectBuffer buffer, final int offset, final int length)
    {
        int hash = length;
        for (int i = 0; i < length; i++)
        {
            hash = 31 * hash + lowerCase(buffer.getByte(offset + i));
        }
        return Hashing.hash(hash);
    }
}
