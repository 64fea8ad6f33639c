package io.vireo.dataplane.nativeio;

/**
 * A netlink request that failed: the kernel refused it (its errno, and what iproute2 would print for it:
 * {@code RTNETLINK answers: File exists}, or {@code Error: <the kernel's explanation>.} when the kernel gave
 * one), or its answer did not come or could not be read.
 */
public final class NetlinkException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final int errno;
    private final String answer;

    /**
     * @param operation what was asked, for the message; null when not known.
     * @param answer    what went wrong, in one line.
     */
    NetlinkException(final String operation, final int errno, final String answer)
    {
        super(null == operation ? answer : operation + ": " + answer);
        this.errno = errno;
        this.answer = answer;
    }

    /** The kernel refused {@code operation} with {@code errno}, explained by {@code explanation} (may be null). */
    static NetlinkException refused(final String operation, final int errno, final String explanation)
    {
        if (null == explanation || explanation.isEmpty())
        {
            return new NetlinkException(operation, errno, "RTNETLINK answers: " + Native.strerror(errno));
        }
        return new NetlinkException(operation, errno, "Error: " + explanation + (explanation.endsWith(".") ? "" : "."));
    }

    /** An answer that breaks the netlink format (a length past the end of what was received, a short field). */
    static NetlinkException malformed(final String what)
    {
        return new NetlinkException(null, Errno.EBADMSG, "malformed netlink answer: " + what);
    }

    public int errno()
    {
        return errno;
    }

    /** What went wrong without naming the operation, as iproute2 prints it when the kernel refused. */
    public String answer()
    {
        return answer;
    }
}
