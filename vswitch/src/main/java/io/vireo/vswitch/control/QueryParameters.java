package io.vireo.vswitch.control;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parameters of a request's query, {@code name=value&name=value}: only names the endpoint takes, each at most
 * once, with a value; numbers whole and non-negative. Every mistake is an {@link IllegalArgumentException} whose
 * message the caller answers with 400.
 */
final class QueryParameters
{
    private QueryParameters()
    {
    }

    /**
     * @param text  the query, after the '?'; empty for none.
     * @param taker what takes the query, for the message: "a blocking query".
     * @param names the names it takes.
     */
    static Map<String, String> parse(final String text, final String taker, final List<String> names)
    {
        final Map<String, String> parameters = new LinkedHashMap<>();
        if (text.isEmpty())
        {
            return parameters;
        }
        for (final String pair : text.split("&", -1))
        {
            final int equals = pair.indexOf('=');
            final String name = equals < 0 ? pair : pair.substring(0, equals);
            if (!names.contains(name))
            {
                throw new IllegalArgumentException("unknown query parameter '" + name + "': " + taker + " takes " +
                    String.join(" and ", names));
            }
            if (equals < 0 || null != parameters.put(name, pair.substring(equals + 1)))
            {
                throw new IllegalArgumentException("give " + name + "=VALUE once");
            }
        }
        return parameters;
    }

    /** A parameter's value as a whole number, 0 to 10<sup>18</sup> - 1. */
    static long number(final String text, final String name)
    {
        if (text.isEmpty() || text.length() > 18 || !text.chars().allMatch(c -> c >= '0' && c <= '9'))
        {
            throw new IllegalArgumentException(name + " must be a whole number, not '" + text + "'");
        }
        return Long.parseLong(text);
    }
}
