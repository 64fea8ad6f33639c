package io.vireo.dataplane.pipeline;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A token bucket that the forwarding threads share without a lock: traffic passes at up to {@code rate} bits
 * per second, with bursts of up to {@code burst} bytes. The switch shapes with it rather than police: a
 * port over its ingress limit is not read until the bucket refills (its frames wait in the kernel's queue,
 * and the sender's TCP slows down as it would behind tc's tbf), and frames over an egress limit wait in a
 * {@link ShapingQueue}; only what overflows that queue is dropped.
 * <p>
 * It is GCRA, the virtual-scheduling form of a token bucket: one timestamp, {@code full}, the time at which
 * the bucket would be full again. The bucket is {@link #ready} while {@code full - now} is within the
 * burst's worth of time; {@link #admit} and {@link #charge} move {@code full} on by the traffic's cost
 * ({@code bytes * 8 / rate}), one compare-and-set. A frame larger than the burst still passes when the
 * bucket is ready, so a 64 KB GSO frame is never stuck behind a small burst.
 * <p>
 * The control thread {@link #set sets} rate and burst at any time; rate 0 means unlimited, which costs a
 * forwarding thread one read per burst ({@link #limited}).
 */
public final class TokenBucket
{
    /** Picoseconds per byte at 1 bit per second: 8 bits, 10^12 ps. */
    private static final long PICOS_PER_BYTE_AT_ONE_BIT_PER_SECOND = 8_000_000_000_000L;
    public static final long MIN_RATE_BITS_PER_SECOND = 8_000;
    public static final long MAX_RATE_BITS_PER_SECOND = 400_000_000_000L;
    public static final long MAX_BURST_BYTES = 1L << 32;
    private static final VarHandle FULL;

    static
    {
        try
        {
            FULL = MethodHandles.lookup().findVarHandle(TokenBucket.class, "full", long.class);
        }
        catch (final ReflectiveOperationException ex)
        {
            throw new ExceptionInInitializerError(ex);
        }
    }

    /** Cost of a byte in picoseconds; 0: unlimited. */
    private volatile long picosPerByte;
    /** How far ahead of now {@link #full} may run: the burst's worth of time, in ns. */
    private volatile long burstNanos;
    private volatile long rateBitsPerSecond;
    private volatile long burstBytes;
    @SuppressWarnings("unused") // through FULL
    private volatile long full;

    /**
     * @param rate  bits per second, {@link #MIN_RATE_BITS_PER_SECOND}..{@link #MAX_RATE_BITS_PER_SECOND};
     *              0 for no limit.
     * @param burst bytes, 1..{@link #MAX_BURST_BYTES} (ignored without a limit).
     * @throws IllegalArgumentException out of range, with the range.
     */
    public void set(final long rate, final long burst)
    {
        if (0 == rate)
        {
            picosPerByte = 0;
            rateBitsPerSecond = 0;
            burstBytes = 0;
            return;
        }
        check(rate, burst);
        final long picos = PICOS_PER_BYTE_AT_ONE_BIT_PER_SECOND / rate;
        burstNanos = burst * picos / 1000;
        rateBitsPerSecond = rate;
        burstBytes = burst;
        picosPerByte = picos;
    }

    /**
     * Checks a limit {@link #set} would take: rate 0 (none), or a rate and a burst in range.
     *
     * @throws IllegalArgumentException out of range, with the range.
     */
    public static void check(final long rate, final long burst)
    {
        if (0 == rate)
        {
            return;
        }
        if (rate < MIN_RATE_BITS_PER_SECOND || rate > MAX_RATE_BITS_PER_SECOND)
        {
            throw new IllegalArgumentException("rate must be " + MIN_RATE_BITS_PER_SECOND + ".." +
                MAX_RATE_BITS_PER_SECOND + " bits/s (or 0 for none): " + rate);
        }
        if (burst < 1 || burst > MAX_BURST_BYTES)
        {
            throw new IllegalArgumentException("burst must be 1.." + MAX_BURST_BYTES + " bytes: " + burst);
        }
    }

    public boolean limited()
    {
        return 0 != picosPerByte;
    }

    /** Bits per second; 0 without a limit. */
    public long rate()
    {
        return rateBitsPerSecond;
    }

    /** Bytes; 0 without a limit. */
    public long burst()
    {
        return burstBytes;
    }

    /** True if traffic may pass now: no limit, or the bucket is not empty. */
    public boolean ready(final long nowNanos)
    {
        return 0 == picosPerByte || (long)FULL.getVolatile(this) - nowNanos <= burstNanos;
    }

    /** How long the burst lasts at the rate, in ns: how far ahead of now the bucket lets traffic run. */
    public long burstNanos()
    {
        return burstNanos;
    }

    /** When the bucket will be {@link #ready} again ({@link System#nanoTime()} time); now or earlier if it is. */
    public long readyAt()
    {
        return (long)FULL.getVolatile(this) - burstNanos;
    }

    /** Takes {@code bytes} from the bucket whether or not it is ready (traffic already let in). */
    public void charge(final long bytes, final long nowNanos)
    {
        final long picos = picosPerByte;
        if (0 == picos)
        {
            return;
        }
        final long cost = bytes * picos / 1000;
        while (true)
        {
            final long current = (long)FULL.getVolatile(this);
            if (FULL.compareAndSet(this, current, (current - nowNanos > 0 ? current : nowNanos) + cost))
            {
                return;
            }
        }
    }

    /**
     * Takes {@code bytes} from the bucket if it is not empty.
     *
     * @param nowNanos {@link System#nanoTime()}, read once per burst.
     * @return true if the frame passes.
     */
    public boolean admit(final long bytes, final long nowNanos)
    {
        final long picos = picosPerByte;
        if (0 == picos)
        {
            return true;
        }
        final long cost = bytes * picos / 1000;
        final long tolerance = burstNanos;
        while (true)
        {
            final long current = (long)FULL.getVolatile(this);
            final long start = current - nowNanos > 0 ? current : nowNanos;
            if (start - nowNanos > tolerance)
            {
                return false;
            }
            if (FULL.compareAndSet(this, current, start + cost))
            {
                return true;
            }
        }
    }
}
