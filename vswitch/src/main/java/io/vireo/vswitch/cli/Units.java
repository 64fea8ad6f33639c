package io.vireo.vswitch.cli;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import picocli.CommandLine;

/** Rates and sizes as tc writes them: {@code 100mbit} (10^6 bits a second), {@code 64kb} (2^10 bytes). */
final class Units
{
    private static final Pattern NUMBER_AND_UNIT = Pattern.compile("([0-9]+)([a-z]*)");

    private Units()
    {
    }

    /** A rate in bits per second: a number, or with {@code kbit}, {@code mbit}, {@code gbit} (powers of 1000). */
    static final class Rate implements CommandLine.ITypeConverter<Long>
    {
        @Override
        public Long convert(final String text)
        {
            return parse(text, "a rate such as 100mbit (bit, kbit, mbit, gbit)", "bit", 1, "kbit", 1_000,
                "mbit", 1_000_000, "gbit", 1_000_000_000);
        }
    }

    /** A size in bytes: a number, or with {@code kb}, {@code mb} (powers of 1024; {@code k}, {@code m} too). */
    static final class Size implements CommandLine.ITypeConverter<Long>
    {
        @Override
        public Long convert(final String text)
        {
            return parse(text, "a size such as 256kb (b, kb, mb)", "b", 1, "k", 1024, "kb", 1024, "m", 1 << 20,
                "mb", 1 << 20);
        }
    }

    /** {@code unitsAndFactors}: unit, factor, unit, factor... ; no unit is a factor of 1. */
    private static long parse(final String text, final String expected, final Object... unitsAndFactors)
    {
        final Matcher matcher = NUMBER_AND_UNIT.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (matcher.matches())
        {
            final String unit = matcher.group(2);
            long factor = unit.isEmpty() ? 1 : 0;
            for (int i = 0; i < unitsAndFactors.length; i += 2)
            {
                if (unitsAndFactors[i].equals(unit))
                {
                    factor = ((Number)unitsAndFactors[i + 1]).longValue();
                }
            }
            if (0 != factor)
            {
                try
                {
                    return Math.multiplyExact(Long.parseLong(matcher.group(1)), factor);
                }
                catch (final ArithmeticException | NumberFormatException ex)
                {
                    throw new CommandLine.TypeConversionException("'" + text + "' is too large");
                }
            }
        }
        throw new CommandLine.TypeConversionException("'" + text + "' is not " + expected);
    }
}
