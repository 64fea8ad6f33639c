package io.vireo.dataplane.vhost;

import java.lang.System.Logger.Level;
import java.text.MessageFormat;
import java.util.function.LongSupplier;

/**
 * What a port logs because of its frontend (a connection, the features and memory it set, a request ignored, a
 * violation, the session's end): {@link #BURST} messages in a row, then one every {@link #INTERVAL_NANOS}. A frontend
 * that reconnects and breaks the rules in a loop, or sends requests the port ignores, would otherwise write as many
 * lines as it sends messages, into the host's log. The messages left out are counted and the next one logged says
 * how many. A token bucket, one per port; debug messages (one per request) pass as they are, for whoever asks.
 */
final class FrontendLog
{
    static final int BURST = 20;
    static final long INTERVAL_NANOS = 1_000_000_000L;

    private static final System.Logger LOG = System.getLogger(VhostUserPort.class.getName());

    private final String port;
    private final LongSupplier nanoClock;
    private long tokens = BURST;
    private long refilledAt;
    private long leftOut;

    FrontendLog(final String port)
    {
        this(port, System::nanoTime);
    }

    FrontendLog(final String port, final LongSupplier nanoClock)
    {
        this.port = port;
        this.nanoClock = nanoClock;
        this.refilledAt = nanoClock.getAsLong();
    }

    /** Logs "port NAME: " and {@code format} ({@link MessageFormat}) with {@code arguments}, unless over the rate. */
    synchronized void log(final Level level, final String format, final Object... arguments)
    {
        if (!LOG.isLoggable(level))
        {
            return;
        }
        final boolean limited = Level.DEBUG.compareTo(level) < 0;
        if (limited && !takeToken())
        {
            leftOut++;
            return;
        }
        String message = "port " + port + ": " + MessageFormat.format(format, arguments);
        if (limited && leftOut > 0)
        {
            message += " (" + leftOut + " earlier messages about the frontend left out: over " + BURST +
                " in a row, then one a second)";
            leftOut = 0;
        }
        LOG.log(level, message);
    }

    private boolean takeToken()
    {
        final long now = nanoClock.getAsLong();
        final long earned = (now - refilledAt) / INTERVAL_NANOS;
        if (earned > 0)
        {
            tokens = Math.min(BURST, tokens + earned);
            refilledAt += earned * INTERVAL_NANOS;
        }
        if (tokens == 0)
        {
            return false;
        }
        tokens--;
        return true;
    }
}
