package io.vireo.flowtable.policy;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

import io.vireo.flowtable.fdb.ForwardingTable;
import io.vireo.flowtable.flowcache.FlowKey;
import io.vireo.flowtable.flowcache.Generations;

/**
 * Endpoint policy: per-bridge {@link PolicyRule rules} that allow or deny frames, with priorities
 * and a default action per bridge (allow until set). The forwarding path asks {@link #classify} on
 * a flow-cache miss only and caches the outcome in the action it stores.
 *
 * <h2>Classification</h2>
 * Each bridge's rules are compiled into a {@link RuleSet}: packed primitive arrays searched by
 * bit-vector intersection, one lookup per field and an AND of n / 64 words at most, stopping at the
 * first word with a match. Its cost barely depends on where the winning rule sits or how many rules
 * there are; the class comment of {@link RuleSet} has the details.
 *
 * <h2>Concurrency</h2>
 * Any number of forwarding threads {@link #classify} while one control thread calls the other
 * methods. Nothing takes a lock.
 * <ul>
 *   <li>A change builds a new {@link RuleSet} for the bridge from the current one, copy-on-write,
 *   and publishes it with one release store into the bridge's slot of an
 *   {@link AtomicReferenceArray}. A rule set is never modified once published.</li>
 *   <li>{@link #classify} reads the slot once with acquire ordering and uses only that rule set, so
 *   it sees every array of the set as built (release/acquire, and all its fields are final) and
 *   never mixes two sets: each verdict is that of exactly one published policy.</li>
 *   <li>After publishing, the change {@link Generations#bump bumps} the bridge's generation, so
 *   flow-cache entries classified under the old rules go stale (see {@link Generations} for why a
 *   classification racing with the change cannot stay cached).</li>
 * </ul>
 */
public final class PolicyTable
{
    /** Action and verdict: the frame may pass. */
    public static final int ALLOW = 0;
    /** Action and verdict: the frame is dropped. */
    public static final int DENY = 1;
    /** {@link #ruleId(int)} of a verdict the bridge's default action gave. */
    public static final int DEFAULT_RULE_ID = 0;
    /** The most rules one bridge can have. */
    public static final int MAX_RULES_PER_BRIDGE = 4096;
    /** Largest bridge id, as for {@link ForwardingTable}. */
    public static final int MAX_BRIDGE_ID = ForwardingTable.MAX_BRIDGE_ID;

    private static final int ACTION_MASK = 1;
    private static final int DEFAULT_VERDICT = verdict(DEFAULT_RULE_ID, ALLOW);
    private static final Comparator<PolicyRule> EVALUATION_ORDER =
        Comparator.comparingInt(PolicyRule::priority).reversed().thenComparingInt(PolicyRule::id);

    private final Generations generations;
    private final AtomicReferenceArray<RuleSet> bridges = new AtomicReferenceArray<>(MAX_BRIDGE_ID + 1);
    private int nextRuleId = 1;

    /**
     * @param generations bumped for a bridge whenever its policy changes.
     */
    public PolicyTable(final Generations generations)
    {
        this.generations = generations;
    }

    /**
     * Classify a frame by the policy of its bridge. Forwarding path: no allocation, no lock, no
     * exception.
     *
     * @param key the frame's key; its bridge id picks the policy.
     * @return the verdict: {@link #action(int)} is {@link #ALLOW} or {@link #DENY}, and
     * {@link #ruleId(int)} the rule that decided, or {@link #DEFAULT_RULE_ID}.
     */
    public int classify(final FlowKey key)
    {
        final RuleSet rules = bridges.getAcquire(key.bridgeId());
        return null == rules ? DEFAULT_VERDICT : rules.classify(key);
    }

    /**
     * Whether a bridge has any policy: a rule, or a default of deny. A forwarding thread skips
     * classification (and the flow cache that saves it) on bridges without. Forwarding path.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @return false if every frame of the bridge is allowed without looking.
     */
    public boolean isActive(final int bridgeId)
    {
        final RuleSet rules = bridges.getAcquire(bridgeId);
        return null != rules && (rules.rules().length > 0 || rules.defaultAction() == DENY);
    }

    /**
     * @param verdict from {@link #classify}.
     * @return {@link #ALLOW} or {@link #DENY}.
     */
    public static int action(final int verdict)
    {
        return verdict & ACTION_MASK;
    }

    /**
     * @param verdict from {@link #classify}.
     * @return the id of the rule that decided, or {@link #DEFAULT_RULE_ID}.
     */
    public static int ruleId(final int verdict)
    {
        return verdict >>> 1;
    }

    /**
     * Add a rule to a bridge. Control thread.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @param rule     the rule; its id is ignored.
     * @return the id assigned to the rule, unique in this table, never {@link #DEFAULT_RULE_ID}.
     * @throws IllegalStateException if the bridge has {@link #MAX_RULES_PER_BRIDGE} rules already.
     */
    public int add(final int bridgeId, final PolicyRule rule)
    {
        checkBridge(bridgeId);
        final RuleSet current = bridges.get(bridgeId);
        final PolicyRule[] rules = null == current ? new PolicyRule[0] : current.rules();
        if (rules.length == MAX_RULES_PER_BRIDGE)
        {
            throw new IllegalStateException(
                "bridge " + bridgeId + " has " + MAX_RULES_PER_BRIDGE + " policy rules, the most it can have");
        }

        final int id = nextRuleId;
        nextRuleId = Math.addExact(id, 1);
        final PolicyRule[] changed = Arrays.copyOf(rules, rules.length + 1);
        changed[rules.length] = rule.withId(id);
        Arrays.sort(changed, EVALUATION_ORDER);
        publish(bridgeId, changed, null == current ? ALLOW : current.defaultAction());
        return id;
    }

    /**
     * Remove a rule from a bridge. Control thread.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @param ruleId   as {@link #add} returned it.
     * @return false if the bridge has no rule with that id.
     */
    public boolean remove(final int bridgeId, final int ruleId)
    {
        checkBridge(bridgeId);
        final RuleSet current = bridges.get(bridgeId);
        if (null == current)
        {
            return false;
        }

        final PolicyRule[] rules = current.rules();
        for (int position = 0; position < rules.length; position++)
        {
            if (rules[position].id() == ruleId)
            {
                final PolicyRule[] changed = new PolicyRule[rules.length - 1];
                System.arraycopy(rules, 0, changed, 0, position);
                System.arraycopy(rules, position + 1, changed, position, changed.length - position);
                publish(bridgeId, changed, current.defaultAction());
                return true;
            }
        }
        return false;
    }

    /**
     * Remove every rule of a bridge and restore its default action to {@link #ALLOW}: the bridge is
     * gone. Control thread.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @return rules removed.
     */
    public int removeBridge(final int bridgeId)
    {
        checkBridge(bridgeId);
        final RuleSet current = bridges.get(bridgeId);
        if (null == current)
        {
            return 0;
        }
        bridges.setRelease(bridgeId, null);
        generations.bump(bridgeId);
        return current.rules().length;
    }

    /**
     * Set what a bridge does with frames no rule matches. Control thread.
     *
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @param action   {@link #ALLOW} or {@link #DENY}.
     */
    public void defaultAction(final int bridgeId, final int action)
    {
        checkBridge(bridgeId);
        checkAction(action);
        final RuleSet current = bridges.get(bridgeId);
        if (action != defaultAction(bridgeId))
        {
            publish(bridgeId, null == current ? new PolicyRule[0] : current.rules(), action);
        }
    }

    /**
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @return what the bridge does with frames no rule matches.
     */
    public int defaultAction(final int bridgeId)
    {
        checkBridge(bridgeId);
        final RuleSet current = bridges.get(bridgeId);
        return null == current ? ALLOW : current.defaultAction();
    }

    /**
     * @param bridgeId 0..{@link #MAX_BRIDGE_ID}.
     * @return the bridge's rules with their ids, in evaluation order: priority descending, then id
     * ascending.
     */
    public List<PolicyRule> list(final int bridgeId)
    {
        checkBridge(bridgeId);
        final RuleSet current = bridges.get(bridgeId);
        return null == current ? List.of() : List.of(current.rules());
    }

    static int verdict(final int ruleId, final int action)
    {
        return (ruleId << 1) | action;
    }

    static int checkAction(final int action)
    {
        if (ALLOW != action && DENY != action)
        {
            throw new IllegalArgumentException("action must be ALLOW (" + ALLOW + ") or DENY (" + DENY + "): " + action);
        }
        return action;
    }

    private void publish(final int bridgeId, final PolicyRule[] rules, final int defaultAction)
    {
        bridges.setRelease(bridgeId, new RuleSet(rules, defaultAction));
        generations.bump(bridgeId);
    }

    private static void checkBridge(final int bridgeId)
    {
        if ((bridgeId & ~MAX_BRIDGE_ID) != 0)
        {
            throw new IllegalArgumentException("bridge id must be 0.." + MAX_BRIDGE_ID + ": " + bridgeId);
        }
    }
}
