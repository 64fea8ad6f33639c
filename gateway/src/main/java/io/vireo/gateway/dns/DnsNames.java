package io.vireo.gateway.dns;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

import static io.vireo.gateway.dns.DnsRecords.MAX_LABEL_LENGTH;
import static io.vireo.gateway.dns.DnsRecords.MAX_NAME_LENGTH;

/** Names as {@link DnsRecords.Builder} takes them (text, checked and made canonical) and as DNS carries them (wire format, case folded). */
final class DnsNames
{
    private DnsNames()
    {
    }

    /**
     * A name as the builder keeps it: lower case, without the trailing dot, {@code ""} for the root.
     * Labels are host names' (letters, digits, hyphens inside; RFC 1123 2.1) or may hold underscores
     * (service and protocol labels such as {@code _http._tcp}, RFC 2782); 1 to 63 characters, 255
     * bytes in wire format in all.
     */
    static String canonical(final String name, final String what)
    {
        final String text = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
        if (text.isEmpty())
        {
            return text;
        }
        if (text.length() + 2 > MAX_NAME_LENGTH)
        {
            throw new IllegalArgumentException(what + " '" + name + "' is longer than " + MAX_NAME_LENGTH + " bytes in wire format");
        }
        for (final String label : text.split("\\.", -1))
        {
            if (label.isEmpty() || label.length() > MAX_LABEL_LENGTH)
            {
                throw new IllegalArgumentException(
                    what + " '" + name + "' has a label of " + label.length() + " characters: labels have 1.." + MAX_LABEL_LENGTH);
            }
            if ('-' == label.charAt(0) || '-' == label.charAt(label.length() - 1))
            {
                throw new IllegalArgumentException(what + " '" + name + "' has a label that starts or ends with '-': '" + label + "'");
            }
            for (int i = 0; i < label.length(); i++)
            {
                final char c = label.charAt(i);
                if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && '-' != c && '_' != c)
                {
                    throw new IllegalArgumentException(
                        what + " '" + name + "' has a character other than a letter, digit, '-' or '_' in label '" + label + "'");
                }
            }
        }
        return text.toLowerCase(Locale.ROOT);
    }

    /** A canonical name in wire format: its labels, each after its length, then the root label. */
    static byte[] toWire(final String name)
    {
        final byte[] wire = new byte[name.isEmpty() ? 1 : name.length() + 2];
        if (!name.isEmpty())
        {
            int position = 0;
            for (final String label : name.split("\\.", -1))
            {
                wire[position] = (byte)label.length();
                System.arraycopy(label.getBytes(StandardCharsets.US_ASCII), 0, wire, position + 1, label.length());
                position += 1 + label.length();
            }
        }
        return wire;
    }

    static byte lowerCase(final byte value)
    {
        return value >= 'A' && value <= 'Z' ? (byte)(value | 0x20) : value;
    }
}
