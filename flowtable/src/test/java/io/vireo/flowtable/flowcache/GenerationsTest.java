package io.vireo.flowtable.flowcache;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class GenerationsTest
{
    @Test
    void eachBridgeCountsOnItsOwn()
    {
        final Generations generations = new Generations();

        assertEquals(1, generations.bump(7));
        assertEquals(2, generations.bump(7));
        assertEquals(1, generations.bump(Generations.MAX_BRIDGE_ID));

        assertEquals(2, generations.current(7));
        assertEquals(0, generations.current(6));
        assertEquals(0, generations.current(8));
        assertEquals(1, generations.current(Generations.MAX_BRIDGE_ID));
    }

    @Test
    void bumpsFromSeveralThreadsAddUp() throws InterruptedException
    {
        final Generations generations = new Generations();
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++)
        {
            threads.add(new Thread(() ->
            {
                for (int i = 0; i < 100_000; i++)
                {
                    generations.bump(3);
                }
            }));
        }
        threads.forEach(Thread::start);
        for (final Thread thread : threads)
        {
            thread.join();
        }

        assertEquals(400_000, generations.current(3));
    }

    @Test
    void rejectsBridgeIdsOutOfRange()
    {
        final Generations generations = new Generations();

        assertEquals("bridge id must be 0..65535: 65536",
            assertThrows(IllegalArgumentException.class, () -> generations.bump(65536)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> generations.bump(-1));
    }
}
