package io.vireo.flowtable.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

import io.vireo.flowtable.flowcache.FlowKey;
import io.vireo.flowtable.flowcache.Generations;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Forwarding threads classify while the control thread adds and removes rules and flips the
 * default action. After each change the control thread records the bridge's policy as a snapshot.
 * A classification that starts once snapshot {@code b} is recorded and ends before snapshot
 * {@code a + 1} is must have used one of snapshots {@code b..a} ({@code a} may be published but not
 * recorded yet), so its verdict, rule id included, must be what the linear reference gives for one
 * of them. A torn rule set (arrays of two versions,
 * or a set seen half built) would give a verdict no snapshot explains.
 */
class PolicyTableConcurrencyTest
{
    private static final int BRIDGE = 7;
    private static final int READERS = 2;
    private static final int MAX_CHANGES = 1 << 20;

    private final PolicyTable policy = new PolicyTable(new Generations());
    private final AtomicReferenceArray<Snapshot> snapshots = new AtomicReferenceArray<>(MAX_CHANGES);
    private final AtomicInteger recorded = new AtomicInteger();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicReference<String> failure = new AtomicReference<>();

    @Test
    void everyVerdictComesFromOnePublishedPolicy() throws InterruptedException
    {
        record();
        final long[] classified = new long[READERS];
        final List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < READERS; t++)
        {
            final int id = t;
            threads.add(new Thread(() -> classified[id] = classify(id), "forwarder-" + t));
        }
        final int[] changes = new int[1];
        threads.add(new Thread(() -> changes[0] = change(), "control"));
        threads.forEach(Thread::start);

        TimeUnit.MILLISECONDS.sleep(2000);
        running.set(false);
        for (final Thread thread : threads)
        {
            thread.join(30_000);
            assertFalse(thread.isAlive(), thread.getName() + " is stuck");
        }

        assertNull(failure.get());
        assertTrue(changes[0] > 200, "the control thread made few changes: " + changes[0]);
        for (final long count : classified)
        {
            assertTrue(count > 10_000, "a forwarder made little progress: " + count);
        }
    }

    private int change()
    {
        final SplittableRandom random = new SplittableRandom(11);
        int changes = 0;
        while (running.get() && null == failure.get() && recorded.get() < MAX_CHANGES)
        {
            final List<PolicyRule> rules = policy.list(BRIDGE);
            final int choice = random.nextInt(100);
            if (choice < 3)
            {
                policy.defaultAction(BRIDGE, PolicyTable.ALLOW + PolicyTable.DENY - policy.defaultAction(BRIDGE));
            }
            else if (rules.size() < 20 || (rules.size() < 150 && choice < 55))
            {
                policy.add(BRIDGE, PolicyFixtures.randomRule(random));
            }
            else
            {
                policy.remove(BRIDGE, rules.get(random.nextInt(rules.size())).id());
            }
            record();
            changes++;
        }
        return changes;
    }

    private void record()
    {
        final int index = recorded.get();
        snapshots.set(index, new Snapshot(policy.list(BRIDGE), policy.defaultAction(BRIDGE)));
        recorded.set(index + 1);
    }

    private long classify(final int id)
    {
        final SplittableRandom random = new SplittableRandom(100 + id);
        final FlowKey key = new FlowKey();
        long classified = 0;
        while (running.get() && null == failure.get())
        {
            PolicyFixtures.randomKey(random, key, BRIDGE);
            final int first = recorded.get() - 1;
            final int verdict = policy.classify(key);
            final int last = recorded.get();
            if (!explains(first, last - 1, key, verdict) && !explainsOnceRecorded(last, key, verdict))
            {
                failure.compareAndSet(null, "verdict " + verdict + " for " + key + " matches no snapshot " + first + ".." + last);
            }
            classified++;
        }
        return classified;
    }

    /**
     * The policy may have been published and not yet recorded: wait for its snapshot.
     */
    private boolean explainsOnceRecorded(final int index, final FlowKey key, final int verdict)
    {
        while (recorded.get() <= index)
        {
            if (!running.get())
            {
                return true;
            }
            Thread.onSpinWait();
        }
        return explains(index, index, key, verdict);
    }

    private boolean explains(final int first, final int last, final FlowKey key, final int verdict)
    {
        for (int index = first; index <= last; index++)
        {
            final Snapshot snapshot = snapshots.get(index);
            if (PolicyFixtures.reference(snapshot.rules, snapshot.defaultAction, key) == verdict)
            {
                return true;
            }
        }
        return false;
    }

    private static final class Snapshot
    {
        final List<PolicyRule> rules;
        final int defaultAction;

        Snapshot(final List<PolicyRule> rules, final int defaultAction)
        {
            this.rules = rules;
            this.defaultAction = defaultAction;
        }
    }
}
