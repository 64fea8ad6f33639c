package io.vireo.vswitch.core;

/** How a forwarding thread waits when its ports have no frames. */
public enum IdleMode
{
    /** Spin forever: lowest latency, one full core per forwarding thread. For benchmarks. */
    BUSY,
    /** Spin, yield, then park for up to a millisecond at a time. */
    BACKOFF,
    /**
     * Spin, yield, then sleep in epoll on the ports' descriptors until a frame or a command arrives:
     * an idle switch costs next to nothing and the first frame still wakes it at once. The default.
     */
    ADAPTIVE;

    /** The mode as users spell it: busy, backoff, adaptive. */
    public static IdleMode parse(final String text)
    {
        for (final IdleMode mode : values())
        {
            if (mode.name().equalsIgnoreCase(text))
            {
                return mode;
            }
        }
        throw new IllegalArgumentException("invalid idle mode '" + text + "': use busy, backoff or adaptive");
    }
}
