package io.vireo.flowtable;

import java.nio.ByteOrder;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * MAC addresses packed in the low 48 bits of a {@code long}, network byte order: the first octet on
 * the wire is the most significant. {@code 02:00:00:00:00:0a} is {@code 0x0200_0000_000aL}.
 * <p>
 * {@link #read} and {@link #write} are for the forwarding path and allocate nothing; {@link #parse}
 * and {@link #format} are for configuration and display.
 */
public final class MacAddress
{
    /** The broadcast address {@code ff:ff:ff:ff:ff:ff}. */
    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    private static final long GROUP_BIT = 1L << 40;
    private static final int OCTETS = 6;
    private static final int TEXT_LENGTH = OCTETS * 3 - 1;
    private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

    private MacAddress()
    {
    }

    /**
     * Parse six two-digit hex octets separated by {@code ':'} or {@code '-'} (one kind throughout),
     * in either case, e.g. {@code 02:00:00:00:00:0a} or {@code 02-00-00-00-00-0A}.
     *
     * @param text the address.
     * @return the address packed in the low 48 bits.
     * @throws IllegalArgumentException if {@code text} is not a MAC address in that form.
     */
    public static long parse(final String text)
    {
        Objects.requireNonNull(text, "text");
        if (text.length() != TEXT_LENGTH)
        {
            throw invalid(text, "expected six two-digit hex octets such as 02:00:00:00:00:0a");
        }

        final char separator = text.charAt(2);
        if (separator != ':' && separator != '-')
        {
            throw invalid(text, "octets must be separated by ':' or '-'");
        }

        long mac = 0;
        for (int octet = 0; octet < OCTETS; octet++)
        {
            final int position = octet * 3;
            if (octet > 0 && text.charAt(position - 1) != separator)
            {
                throw invalid(text, "expected '" + separator + "' at position " + (position - 1));
            }
            mac = (mac << 8) | (hexDigit(text, position) << 4) | hexDigit(text, position + 1);
        }

        return mac;
    }

    /**
     * Format as lower-case, colon-separated octets, e.g. {@code 02:00:00:00:00:0a}.
     *
     * @param mac the address in the low 48 bits.
     * @return the text form.
     * @throws IllegalArgumentException if bits above the low 48 are set.
     */
    public static String format(final long mac)
    {
        if ((mac >>> 48) != 0)
        {
            throw new IllegalArgumentException("not a 48-bit MAC address: 0x" + Long.toHexString(mac));
        }

        final char[] text = new char[TEXT_LENGTH];
        for (int octet = 0; octet < OCTETS; octet++)
        {
            final int value = (int)(mac >>> (40 - octet * 8)) & 0xFF;
            final int position = octet * 3;
            text[position] = HEX_DIGITS[value >>> 4];
            text[position + 1] = HEX_DIGITS[value & 0xF];
            if (octet < OCTETS - 1)
            {
                text[position + 2] = ':';
            }
        }

        return new String(text);
    }

    /**
     * Is the group (I/G) bit of the first octet set? True for multicast and broadcast addresses,
     * which are never valid source addresses.
     *
     * @param mac the address.
     * @return true for a group address.
     */
    public static boolean isMulticast(final long mac)
    {
        return (mac & GROUP_BIT) != 0;
    }

    /**
     * @param mac the address.
     * @return true for {@code ff:ff:ff:ff:ff:ff}.
     */
    public static boolean isBroadcast(final long mac)
    {
        return mac == BROADCAST;
    }

    /**
     * @param mac the address.
     * @return true for {@code 00:00:00:00:00:00}.
     */
    public static boolean isZero(final long mac)
    {
        return mac == 0;
    }

    /**
     * Read six octets in network byte order.
     *
     * @param buffer holding the address.
     * @param offset of the first octet.
     * @return the address packed in the low 48 bits.
     */
    public static long read(final DirectBuffer buffer, final int offset)
    {
        final long high = buffer.getShort(offset, ByteOrder.BIG_ENDIAN) & 0xFFFFL;
        final long low = buffer.getInt(offset + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF_FFFFL;
        return (high << 32) | low;
    }

    /**
     * Write six octets in network byte order.
     *
     * @param buffer to write into.
     * @param offset of the first octet.
     * @param mac    the address in the low 48 bits.
     */
    public static void write(final MutableDirectBuffer buffer, final int offset, final long mac)
    {
        buffer.putShort(offset, (short)(mac >>> 32), ByteOrder.BIG_ENDIAN);
        buffer.putInt(offset + 2, (int)mac, ByteOrder.BIG_ENDIAN);
    }

    private static long hexDigit(final String text, final int position)
    {
        final char c = text.charAt(position);
        if (c >= '0' && c <= '9')
        {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f')
        {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F')
        {
            return c - 'A' + 10;
        }
        throw invalid(text, "'" + c + "' at position " + position + " is not a hex digit");
    }

    private static IllegalArgumentException invalid(final String text, final String reason)
    {
        return new IllegalArgumentException("invalid MAC address \"" + text + "\": " + reason);
    }
}
