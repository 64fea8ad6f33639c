package io.vireo.dataplane.pipeline;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenBucketTest
{
    private static final long MS = 1_000_000;

    @Test
    void withoutALimitEverythingPasses()
    {
        final TokenBucket bucket = new TokenBucket();
        assertFalse(bucket.limited());
        for (int i = 0; i < 1000; i++)
        {
            assertTrue(bucket.admit(65_536, 0));
        }
    }

    /** 8 Mbit/s is 1,000 bytes a ms: a full bucket lets the burst (and the frame that finds it not empty) pass. */
    @Test
    void aFullBucketPassesTheBurstThenTheRate()
    {
        final TokenBucket bucket = new TokenBucket();
        bucket.set(8_000_000, 10_000);
        final long start = 5_000 * MS;
        int passed = 0;
        while (bucket.admit(1_000, start))
        {
            passed++;
        }
        assertEquals(11, passed, "10,000 bytes of burst, and the frame that found 1,000 left");
        assertFalse(bucket.admit(1_000, start + MS / 2), "half a ms is half a frame");
        assertTrue(bucket.admit(1_000, start + MS), "a ms later, one frame's worth");
        assertFalse(bucket.admit(1_000, start + MS));
    }

    @Test
    void overASecondOfTwiceTheRateTheRatePasses()
    {
        final TokenBucket bucket = new TokenBucket();
        bucket.set(80_000_000, 65_536);
        long passedBytes = 0;
        for (long t = 0; t < 1_000 * MS; t += 60_000)
        {
            // 1,500 bytes every 60 us: 200 Mbit/s offered
            if (bucket.admit(1_500, t))
            {
                passedBytes += 1_500;
            }
        }
        final long expected = 10_000_000 + 65_536;
        assertTrue(Math.abs(passedBytes - expected) <= 3_000, passedBytes + " bytes, about " + expected);
    }

    @Test
    void aFrameLargerThanTheBurstPassesWhenTheBucketIsFull()
    {
        final TokenBucket bucket = new TokenBucket();
        bucket.set(8_000_000, 1_000);
        assertTrue(bucket.admit(65_536, 0), "a 64 KB GSO frame is never stuck behind a small burst");
        assertFalse(bucket.admit(100, MS), "it is paid for: 65 ms at 1,000 bytes a ms");
        assertTrue(bucket.admit(100, 66 * MS));
    }

    @Test
    void rateZeroRemovesTheLimitAndBadValuesAreRefused()
    {
        final TokenBucket bucket = new TokenBucket();
        bucket.set(1_000_000, 10_000);
        assertEquals(1_000_000, bucket.rate());
        assertEquals(10_000, bucket.burst());
        bucket.set(0, 0);
        assertFalse(bucket.limited());
        assertEquals(0, bucket.rate());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> bucket.set(100, 10_000)).getMessage()
            .contains("rate must be 8000..400000000000"));
        assertThrows(IllegalArgumentException.class, () -> bucket.set(1_000_000, 0));
        assertThrows(IllegalArgumentException.class, () -> bucket.set(TokenBucket.MAX_RATE_BITS_PER_SECOND + 1, 1));
        assertFalse(bucket.limited(), "a refused setting changes nothing");
    }

    /** Threads that share a port's bucket take from it together, never more than it holds. */
    @Test
    void threadsSharingABucketNeverPassMoreThanItHolds() throws Exception
    {
        final TokenBucket bucket = new TokenBucket();
        bucket.set(8_000_000, 1_000_000);
        final long now = 7_000 * MS;
        final AtomicLong passed = new AtomicLong();
        final CountDownLatch start = new CountDownLatch(1);
        final Thread[] threads = new Thread[4];
        for (int i = 0; i < threads.length; i++)
        {
            threads[i] = new Thread(() ->
            {
                try
                {
                    start.await();
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
                while (bucket.admit(100, now))
                {
                    passed.addAndGet(100);
                }
            });
            threads[i].start();
        }
        start.countDown();
        for (final Thread thread : threads)
        {
            thread.join();
        }
        assertEquals(1_000_100, passed.get(), "the burst and the one frame that found it not empty");
    }
}
