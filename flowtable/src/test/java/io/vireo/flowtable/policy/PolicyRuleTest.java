package io.vireo.flowtable.policy;

import java.util.function.Supplier;

import io.vireo.flowtable.MacAddress;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PolicyRuleTest
{
    @Test
    void anEmptyRuleMatchesEverything()
    {
        final PolicyRule rule = PolicyRule.builder().allow().build();

        assertEquals(0, rule.id());
        assertEquals(PolicyRule.MIN_PRIORITY, rule.priority());
        assertEquals(PolicyRule.ANY_MAC, rule.sourceMac());
        assertEquals(PolicyRule.ANY_MAC, rule.destinationMac());
        assertEquals(PolicyRule.ANY_PROTOCOL, rule.protocol());
        assertEquals(null, rule.sourcePrefix());
        assertFalse(rule.hasSourcePorts());
        assertFalse(rule.hasDestinationPorts());
        assertEquals("#0 priority 0 allow", rule.toString());
    }

    @Test
    void describesEveryField()
    {
        final PolicyRule rule = PolicyRule.builder().deny().priority(100).protocol(PolicyRule.PROTOCOL_TCP)
            .sourceMac(MacAddress.parse("02:00:00:00:00:01")).destinationMac(MacAddress.parse("02:00:00:00:00:02"))
            .sourcePrefix(IpPrefix.parse("fd00::/8")).destinationPrefix(IpPrefix.parse("fd00:1::/32"))
            .sourcePorts(1024, 65535).destinationPorts(443, 443).build();

        assertTrue(rule.hasSourcePorts());
        assertEquals("#0 priority 100 deny tcp src-mac 02:00:00:00:00:01 dst-mac 02:00:00:00:00:02 src fd00::/8 " +
            "dst fd00:1::/32 src-port 1024-65535 dst-port 443", rule.toString());
        assertEquals(rule, rule.toBuilder().build());
        assertEquals("#0 priority 0 allow protocol 47", PolicyRule.builder().allow().protocol(47).build().toString());
    }

    @Test
    void rejectsBadFieldsSayingWhatIsWrong()
    {
        assertMessage("priority must be 0..65535: 65536", () -> PolicyRule.builder().priority(65536));
        assertMessage("priority must be 0..65535: -1", () -> PolicyRule.builder().priority(-1));
        assertMessage("action must be ALLOW (0) or DENY (1): 7", () -> PolicyRule.builder().action(7));
        assertMessage("IP protocol must be 0..255: 256", () -> PolicyRule.builder().protocol(256));
        assertMessage("source MAC is not a 48-bit address: 0x1000000000000",
            () -> PolicyRule.builder().sourceMac(1L << 48));
        assertMessage("destination MAC is not a 48-bit address: 0xfffffffffffffffe",
            () -> PolicyRule.builder().destinationMac(-2));
        assertMessage("destination port range is inverted: 90-80", () -> PolicyRule.builder().destinationPorts(90, 80));
        assertMessage("source ports must be 0..65535: 1-65536", () -> PolicyRule.builder().sourcePorts(1, 65536));
        assertMessage("source ports must be 0..65535: -1-10", () -> PolicyRule.builder().sourcePorts(-1, 10));
    }

    @Test
    void rejectsCombinationsThatCannotMatchAsMeant()
    {
        assertMessage("a rule needs an action: allow or deny", () -> PolicyRule.builder().build());
        assertMessage("port ranges need protocol tcp (6), udp (17) or sctp (132), not any protocol",
            () -> PolicyRule.builder().deny().destinationPorts(80, 80).build());
        assertMessage("port ranges need protocol tcp (6), udp (17) or sctp (132), not protocol 1",
            () -> PolicyRule.builder().deny().protocol(1).sourcePorts(0, 10).build());
        assertMessage("source prefix 10.0.0.0/8 and destination prefix fd00::/8 are of different IP versions; " +
            "a frame has one", () -> PolicyRule.builder().deny()
            .sourcePrefix(IpPrefix.parse("10.0.0.0/8")).destinationPrefix(IpPrefix.parse("fd00::/8")).build());
    }

    @Test
    void fullPortRangesAreNoCondition()
    {
        final PolicyRule rule = PolicyRule.builder().deny().sourcePorts(0, 65535).destinationPorts(0, 65535).build();

        assertFalse(rule.hasSourcePorts());
        assertEquals(PolicyRule.ANY_PROTOCOL, rule.protocol());
    }

    private static void assertMessage(final String message, final Supplier<Object> build)
    {
        assertEquals(message, assertThrows(IllegalArgumentException.class, build::get).getMessage());
    }
}
