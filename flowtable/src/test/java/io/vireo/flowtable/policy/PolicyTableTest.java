package io.vireo.flowtable.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import io.vireo.flowtable.MacAddress;
import io.vireo.flowtable.flowcache.FlowKey;
import io.vireo.flowtable.flowcache.Generations;
import io.vireo.testkit.Allocations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static io.vireo.flowtable.policy.PolicyTable.ALLOW;
import static io.vireo.flowtable.policy.PolicyTable.DEFAULT_RULE_ID;
import static io.vireo.flowtable.policy.PolicyTable.DENY;
import static io.vireo.flowtable.policy.PolicyTable.action;
import static io.vireo.flowtable.policy.PolicyTable.ruleId;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyTableTest
{
    private static final int BRIDGE = 1;
    private static final long MAC_A = MacAddress.parse("02:00:00:00:00:0a");
    private static final long MAC_B = MacAddress.parse("02:00:00:00:00:0b");

    private final Generations generations = new Generations();
    private final PolicyTable policy = new PolicyTable(generations);

    @Test
    void allowsEverythingUntilToldOtherwise()
    {
        final int verdict = policy.classify(tcp(0x0A00_0001, 0x0A00_0002, 80));

        assertEquals(ALLOW, action(verdict));
        assertEquals(DEFAULT_RULE_ID, ruleId(verdict));
        assertEquals(ALLOW, policy.defaultAction(BRIDGE));
        assertEquals(List.of(), policy.list(BRIDGE));
    }

    @Test
    void aBridgeIsActiveWithRulesOrADefaultOfDeny()
    {
        assertFalse(policy.isActive(BRIDGE));
        final int id = policy.add(BRIDGE, PolicyRule.builder().allow().build());
        assertTrue(policy.isActive(BRIDGE));
        policy.remove(BRIDGE, id);
        assertFalse(policy.isActive(BRIDGE));
        policy.defaultAction(BRIDGE, DENY);
        assertTrue(policy.isActive(BRIDGE));
        policy.defaultAction(BRIDGE, ALLOW);
        assertFalse(policy.isActive(BRIDGE));
    }

    @Test
    void theDefaultActionDecidesWhenNoRuleMatches()
    {
        policy.defaultAction(BRIDGE, DENY);
        final int allowWeb = policy.add(BRIDGE, PolicyRule.builder().allow().protocol(6).destinationPorts(80, 80).build());

        assertEquals(DENY, action(policy.classify(tcp(0x0A00_0001, 0x0A00_0002, 443))));
        assertEquals(DEFAULT_RULE_ID, ruleId(policy.classify(tcp(0x0A00_0001, 0x0A00_0002, 443))));
        assertEquals(verdict(allowWeb, ALLOW), policy.classify(tcp(0x0A00_0001, 0x0A00_0002, 80)));
        assertEquals(ALLOW, action(policy.classify(tcp(0x0A00_0001, 0x0A00_0002, 80).bridgeId(2))));
    }

    @Test
    void higherPriorityWinsWhateverTheOrderOfAdding()
    {
        final int denyAll = policy.add(BRIDGE, PolicyRule.builder().deny().priority(10).build());
        final int allowWeb = policy.add(BRIDGE, PolicyRule.builder().allow().priority(20).protocol(6).destinationPorts(80, 80).build());
        final int denyHost = policy.add(BRIDGE, PolicyRule.builder().deny().priority(30)
            .destinationPrefix(IpPrefix.parse("10.0.0.9")).build());

        assertEquals(verdict(allowWeb, ALLOW), policy.classify(tcp(0x0A00_0001, 0x0A00_0002, 80)));
        assertEquals(verdict(denyAll, DENY), policy.classify(tcp(0x0A00_0001, 0x0A00_0002, 22)));
        assertEquals(verdict(denyHost, DENY), policy.classify(tcp(0x0A00_0001, 0x0A00_0009, 80)));
    }

    @Test
    void equalPrioritiesAreDecidedByTheEarlierRule()
    {
        final int first = policy.add(BRIDGE, PolicyRule.builder().allow().priority(5).protocol(6).build());
        policy.add(BRIDGE, PolicyRule.builder().deny().priority(5).destinationPorts(0, 100).protocol(6).build());
        policy.add(BRIDGE, PolicyRule.builder().deny().priority(4).build());

        assertEquals(verdict(first, ALLOW), policy.classify(tcp(0x0A00_0001, 0x0A00_0002, 80)));
        assertTrue(policy.remove(BRIDGE, first));
        assertEquals(DENY, action(policy.classify(tcp(0x0A00_0001, 0x0A00_0002, 80))));
    }

    @Test
    void macRulesMatchFramesWithoutIpAndIpRulesDoNot()
    {
        final int denyFromA = policy.add(BRIDGE, PolicyRule.builder().deny().priority(1).sourceMac(MAC_A).build());
        policy.add(BRIDGE, PolicyRule.builder().deny().priority(9).sourcePrefix(IpPrefix.parse("0.0.0.0/0")).build());
        policy.add(BRIDGE, PolicyRule.builder().deny().priority(9).sourcePrefix(IpPrefix.parse("::/0")).build());
        policy.add(BRIDGE, PolicyRule.builder().deny().priority(9).protocol(0).build());

        assertEquals(verdict(denyFromA, DENY), policy.classify(arp(MAC_A, MAC_B)));
        assertEquals(ALLOW, action(policy.classify(arp(MAC_B, MAC_A))));
    }

    @Test
    void ipv4PrefixesMatchTheirRangeExactlyFromSlash0ToSlash32()
    {
        final int host = policy.add(BRIDGE, PolicyRule.builder().deny().priority(3).destinationPrefix(IpPrefix.parse("10.0.0.7/32")).build());
        final int subnet = policy.add(BRIDGE, PolicyRule.builder().deny().priority(2).destinationPrefix(IpPrefix.parse("10.0.0.0/24")).build());
        final int everything = policy.add(BRIDGE, PolicyRule.builder().deny().priority(1).destinationPrefix(IpPrefix.parse("0.0.0.0/0")).build());

        assertEquals(host, ruleId(policy.classify(tcp(1, 0x0A00_0007, 80))));
        assertEquals(subnet, ruleId(policy.classify(tcp(1, 0x0A00_0006, 80))));
        assertEquals(subnet, ruleId(policy.classify(tcp(1, 0x0A00_0008, 80))));
        assertEquals(subnet, ruleId(policy.classify(tcp(1, 0x0A00_0000, 80))));
        assertEquals(subnet, ruleId(policy.classify(tcp(1, 0x0A00_00FF, 80))));
        assertEquals(everything, ruleId(policy.classify(tcp(1, 0x0A00_0100, 80))));
        assertEquals(everything, ruleId(policy.classify(tcp(1, 0x09FF_FFFF, 80))));
        assertEquals(everything, ruleId(policy.classify(tcp(1, 0xFFFF_FFFF, 80))));
        assertEquals(everything, ruleId(policy.classify(tcp(1, 0, 80))));
        assertEquals(DEFAULT_RULE_ID, ruleId(policy.classify(tcp6(0, 0x0A00_0007, 80))));
    }

    @Test
    void ipv6PrefixesMatchTheirRangeExactlyFromSlash0ToSlash128()
    {
        final long fd = 0xFD00_0000_0000_0000L;
        final int host = policy.add(BRIDGE, PolicyRule.builder().deny().priority(4).sourcePrefix(IpPrefix.parse("fd00::1/128")).build());
        final int crossesWords = policy.add(BRIDGE, PolicyRule.builder().deny().priority(3).sourcePrefix(IpPrefix.parse("fd00::8000:0:0:0/65")).build());
        final int upperHalf = policy.add(BRIDGE, PolicyRule.builder().deny().priority(2).sourcePrefix(IpPrefix.parse("8000::/1")).build());
        final int everything = policy.add(BRIDGE, PolicyRule.builder().deny().priority(1).sourcePrefix(IpPrefix.parse("::/0")).build());

        assertEquals(host, ruleId(policy.classify(tcp6(fd, 1, 80))));
        assertEquals(upperHalf, ruleId(policy.classify(tcp6(fd, 2, 80))));
        assertEquals(upperHalf, ruleId(policy.classify(tcp6(fd, 0, 80))));
        assertEquals(crossesWords, ruleId(policy.classify(tcp6(fd, Long.MIN_VALUE, 80))));
        assertEquals(crossesWords, ruleId(policy.classify(tcp6(fd, -1, 80))));
        assertEquals(upperHalf, ruleId(policy.classify(tcp6(fd, Long.MAX_VALUE, 80))));
        assertEquals(upperHalf, ruleId(policy.classify(tcp6(fd + 1, Long.MIN_VALUE, 80))));
        assertEquals(upperHalf, ruleId(policy.classify(tcp6(-1, -1, 80))));
        assertEquals(upperHalf, ruleId(policy.classify(tcp6(Long.MIN_VALUE, 0, 80))));
        assertEquals(everything, ruleId(policy.classify(tcp6(Long.MAX_VALUE, -1, 80))));
        assertEquals(everything, ruleId(policy.classify(tcp6(0, 0, 80))));
        assertEquals(DEFAULT_RULE_ID, ruleId(policy.classify(tcp(0, 1, 80))));
    }

    @Test
    void portRangesIncludeBothEnds()
    {
        final int range = policy.add(BRIDGE, PolicyRule.builder().deny().protocol(6).destinationPorts(8000, 8080).build());
        final int sourceHigh = policy.add(BRIDGE, PolicyRule.builder().deny().protocol(17).sourcePorts(65535, 65535).build());

        assertEquals(DEFAULT_RULE_ID, ruleId(policy.classify(tcp(1, 2, 7999))));
        assertEquals(range, ruleId(policy.classify(tcp(1, 2, 8000))));
        assertEquals(range, ruleId(policy.classify(tcp(1, 2, 8080))));
        assertEquals(DEFAULT_RULE_ID, ruleId(policy.classify(tcp(1, 2, 8081))));
        assertEquals(DEFAULT_RULE_ID, ruleId(policy.classify(tcp(1, 2, 8000).protocol(17))));
        assertEquals(sourceHigh, ruleId(policy.classify(tcp(1, 2, 53).protocol(17).sourcePort(65535))));
        assertEquals(DEFAULT_RULE_ID, ruleId(policy.classify(tcp(1, 2, 53).protocol(17).sourcePort(65534))));
    }

    @Test
    void bridgesHaveTheirOwnRulesAndDefaults()
    {
        policy.add(BRIDGE, PolicyRule.builder().deny().build());
        policy.defaultAction(3, DENY);

        assertEquals(DENY, action(policy.classify(tcp(1, 2, 80))));
        assertEquals(ALLOW, action(policy.classify(tcp(1, 2, 80).bridgeId(2))));
        assertEquals(DENY, action(policy.classify(tcp(1, 2, 80).bridgeId(3))));
        assertEquals(1, policy.list(BRIDGE).size());
        assertEquals(0, policy.list(3).size());
    }

    @Test
    void listsRulesWithTheirIdsInEvaluationOrder()
    {
        final PolicyRule low = PolicyRule.builder().allow().priority(1).protocol(17).build();
        final PolicyRule high = PolicyRule.builder().deny().priority(9).sourceMac(MAC_A).build();
        final int lowId = policy.add(BRIDGE, low);
        final int highId = policy.add(BRIDGE, high);
        final int tieId = policy.add(BRIDGE, low);

        assertEquals(List.of(high.withId(highId), low.withId(lowId), low.withId(tieId)), policy.list(BRIDGE));
        assertEquals("#" + highId + " priority 9 deny src-mac 02:00:00:00:00:0a", policy.list(BRIDGE).get(0).toString());
    }

    @Test
    void removeTakesOnlyThatRuleOfThatBridge()
    {
        final int id = policy.add(BRIDGE, PolicyRule.builder().deny().build());

        assertFalse(policy.remove(2, id));
        assertFalse(policy.remove(BRIDGE, id + 1));
        assertEquals(DENY, action(policy.classify(tcp(1, 2, 80))));
        assertTrue(policy.remove(BRIDGE, id));
        assertFalse(policy.remove(BRIDGE, id));
        assertEquals(ALLOW, action(policy.classify(tcp(1, 2, 80))));
    }

    @Test
    void removeBridgeDropsItsRulesAndDefault()
    {
        policy.add(BRIDGE, PolicyRule.builder().deny().build());
        policy.add(BRIDGE, PolicyRule.builder().deny().protocol(6).build());
        policy.defaultAction(BRIDGE, DENY);

        assertEquals(2, policy.removeBridge(BRIDGE));

        assertEquals(List.of(), policy.list(BRIDGE));
        assertEquals(ALLOW, policy.defaultAction(BRIDGE));
        assertEquals(0, policy.removeBridge(BRIDGE));
    }

    @Test
    void everyChangeBumpsTheBridgeGeneration()
    {
        final int id = policy.add(BRIDGE, PolicyRule.builder().deny().build());
        assertEquals(1, generations.current(BRIDGE));
        policy.defaultAction(BRIDGE, DENY);
        assertEquals(2, generations.current(BRIDGE));
        policy.defaultAction(BRIDGE, DENY);
        assertEquals(2, generations.current(BRIDGE));
        policy.remove(BRIDGE, id);
        assertEquals(3, generations.current(BRIDGE));
        policy.removeBridge(BRIDGE);
        assertEquals(4, generations.current(BRIDGE));
        assertEquals(0, generations.current(2));
    }

    @Test
    void aBridgeHoldsAtMostItsRuleLimit()
    {
        final PolicyRule rule = PolicyRule.builder().deny().protocol(6).build();
        for (int i = 0; i < PolicyTable.MAX_RULES_PER_BRIDGE; i++)
        {
            policy.add(BRIDGE, rule);
        }

        assertEquals("bridge 1 has 4096 policy rules, the most it can have",
            assertThrows(IllegalStateException.class, () -> policy.add(BRIDGE, rule)).getMessage());
        policy.add(2, rule);
    }

    @Test
    void controlMethodsRejectBadArguments()
    {
        final PolicyRule rule = PolicyRule.builder().deny().build();

        assertEquals("bridge id must be 0..65535: 65536",
            assertThrows(IllegalArgumentException.class, () -> policy.add(65536, rule)).getMessage());
        assertEquals("action must be ALLOW (0) or DENY (1): 2",
            assertThrows(IllegalArgumentException.class, () -> policy.defaultAction(BRIDGE, 2)).getMessage());
        assertThrows(IllegalArgumentException.class, () -> policy.remove(-1, 1));
        assertThrows(IllegalArgumentException.class, () -> policy.list(-1));
    }

    /**
     * Against the linear reference over random rule sets around the 64-rule word boundaries and up
     * to a thousand rules.
     */
    @ParameterizedTest
    @ValueSource(ints = { 1, 2, 63, 64, 65, 128, 300, 1000 })
    void classifiesAsTheLinearReferenceDoes(final int rules)
    {
        final SplittableRandom random = new SplittableRandom(rules);
        final List<PolicyRule> added = new ArrayList<>();
        for (int i = 0; i < rules; i++)
        {
            final PolicyRule rule = PolicyFixtures.randomRule(random);
            added.add(rule.withId(policy.add(BRIDGE, rule)));
        }
        final int defaultAction = random.nextBoolean() ? ALLOW : DENY;
        policy.defaultAction(BRIDGE, defaultAction);

        final FlowKey key = new FlowKey();
        final int[] decidedBy = new int[2];
        for (int i = 0; i < 20_000; i++)
        {
            PolicyFixtures.randomKey(random, key, BRIDGE);
            final int expected = PolicyFixtures.reference(added, defaultAction, key);
            assertEquals(expected, policy.classify(key), key::toString);
            decidedBy[DEFAULT_RULE_ID == ruleId(expected) ? 0 : 1]++;
        }
        assertTrue(decidedBy[1] > (rules < 64 ? 0 : 1000), "too few frames matched a rule: " + decidedBy[1]);
    }

    @Test
    void classifyAllocatesNothing()
    {
        final SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 200; i++)
        {
            policy.add(BRIDGE, PolicyFixtures.randomRule(random));
        }
        final FlowKey[] keys = new FlowKey[1024];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = PolicyFixtures.randomKey(random, new FlowKey(), BRIDGE);
        }

        Allocations.assertAllocatesNothing("a million classifications", () -> classifyAll(keys, 1_000_000));
    }

    private long classifyAll(final FlowKey[] keys, final int operations)
    {
        long sum = 0;
        for (int i = 0; i < operations; i++)
        {
            sum += policy.classify(keys[i & (keys.length - 1)]);
        }
        return sum;
    }

    private static int verdict(final int ruleId, final int action)
    {
        return PolicyTable.verdict(ruleId, action);
    }

    private static FlowKey tcp(final int source, final int destination, final int destinationPort)
    {
        return new FlowKey().bridgeId(BRIDGE).sourceMac(MAC_A).destinationMac(MAC_B)
            .etherType(FlowKey.ETHERTYPE_IPV4).ipv4Source(source).ipv4Destination(destination)
            .protocol(PolicyRule.PROTOCOL_TCP).sourcePort(40000).destinationPort(destinationPort);
    }

    private static FlowKey tcp6(final long sourceHigh, final long sourceLow, final int destinationPort)
    {
        return new FlowKey().bridgeId(BRIDGE).sourceMac(MAC_A).destinationMac(MAC_B)
            .etherType(FlowKey.ETHERTYPE_IPV6).ipv6Source(sourceHigh, sourceLow).ipv6Destination(0xFD00_0000_0000_0000L, 99)
            .protocol(PolicyRule.PROTOCOL_TCP).sourcePort(40000).destinationPort(destinationPort);
    }

    private static FlowKey arp(final long source, final long destination)
    {
        return new FlowKey().bridgeId(BRIDGE).sourceMac(source).destinationMac(destination).etherType(PolicyFixtures.ETHERTYPE_ARP);
    }
}
