package io.vireo.dataplane.port;

/** Validation of Linux network interface names. */
public final class InterfaceNames
{
    /** IFNAMSIZ is 16 including the terminating NUL. */
    public static final int MAX_LENGTH = 15;

    private InterfaceNames()
    {
    }

    /** Throws {@link IllegalArgumentException} with a clear message if the kernel would refuse the name. */
    public static String validate(final String name)
    {
        if (null == name || name.isEmpty())
        {
            throw new IllegalArgumentException("interface name is empty");
        }
        if (name.length() > MAX_LENGTH)
        {
            throw new IllegalArgumentException(
                "interface name '" + name + "' is " + name.length() + " characters, the limit is " + MAX_LENGTH);
        }
        if (".".equals(name) || "..".equals(name))
        {
            throw new IllegalArgumentException("interface name '" + name + "' is not allowed");
        }
        for (int i = 0; i < name.length(); i++)
        {
            final char c = name.charAt(i);
            if (c <= ' ' || c >= 127 || c == '/' || c == ':')
            {
                throw new IllegalArgumentException(
                    "interface name '" + name + "' contains '" + c + "'; use letters, digits, '-', '_' and '.'");
            }
        }
        return name;
    }
}
