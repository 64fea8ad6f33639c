package io.vireo.dataplane.headers;

import org.agrona.MutableDirectBuffer;

import static java.nio.ByteOrder.BIG_ENDIAN;

/**
 * What every header flyweight shares: the buffer it is wrapped over, the offset where the header
 * starts and the number of bytes that are really there from that offset on.
 * <p>
 * Offsets taken and returned by flyweights are indices into the wrapped buffer, so a payload offset
 * can be handed straight to the next flyweight's {@code wrap}. Lengths are byte counts.
 * <p>
 * Accessors of fixed fields do not check the length: call {@link #isValid()} once after
 * {@code wrap} and read fields only if it returned {@code true}. {@code isValid()} itself never reads
 * past the length.
 */
public abstract class HeaderFlyweight
{
    MutableDirectBuffer buffer;
    int offset;
    int length;

    HeaderFlyweight()
    {
    }

    /**
     * Point this flyweight at a header.
     *
     * @param buffer holding the header.
     * @param offset index in {@code buffer} of the header's first byte.
     * @param length bytes available from {@code offset}: the header and whatever follows it.
     * @return this flyweight.
     */
    public HeaderFlyweight wrap(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** @return the buffer this flyweight is wrapped over. */
    public final MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /** @return index in {@link #buffer()} of the header's first byte. */
    public final int offset()
    {
        return offset;
    }

    /** @return bytes available from {@link #offset()}, as given to {@code wrap}. */
    public final int length()
    {
        return length;
    }

    /**
     * @return true if the header lies within the available bytes and its own length fields are
     * consistent with them, so every accessor reads inside the wrapped range.
     */
    public abstract boolean isValid();

    // Network byte order helpers for subclasses; field offsets are relative to the header start.

    final int readUnsignedByte(final int fieldOffset)
    {
        return buffer.getByte(offset + fieldOffset) & 0xFF;
    }

    final void writeByte(final int fieldOffset, final int value)
    {
        buffer.putByte(offset + fieldOffset, (byte)value);
    }

    final int readUnsignedShort(final int fieldOffset)
    {
        return buffer.getShort(offset + fieldOffset, BIG_ENDIAN) & 0xFFFF;
    }

    final void writeShort(final int fieldOffset, final int value)
    {
        buffer.putShort(offset + fieldOffset, (short)value, BIG_ENDIAN);
    }

    final int readInt(final int fieldOffset)
    {
        return buffer.getInt(offset + fieldOffset, BIG_ENDIAN);
    }

    final void writeInt(final int fieldOffset, final int value)
    {
        buffer.putInt(offset + fieldOffset, value, BIG_ENDIAN);
    }

    final long readLong(final int fieldOffset)
    {
        return buffer.getLong(offset + fieldOffset, BIG_ENDIAN);
    }

    final void writeLong(final int fieldOffset, final long value)
    {
        buffer.putLong(offset + fieldOffset, value, BIG_ENDIAN);
    }

    /** A MAC address as the low 48 bits of a long, first octet most significant. */
    final long readMac(final int fieldOffset)
    {
        return ((long)readUnsignedShort(fieldOffset) << 32) | (readInt(fieldOffset + 2) & 0xFFFF_FFFFL);
    }

    final void writeMac(final int fieldOffset, final long mac)
    {
        writeShort(fieldOffset, (int)(mac >>> 32));
        writeInt(fieldOffset + 2, (int)mac);
    }
}
