package io.vireo.vswitch.core;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What several clients setting up one network at once rely on: asking again for what exists is no error. */
class RouterControlTest
{
    private Vireo vireo;
    private VireoGateway gateway;

    @BeforeEach
    void setUp()
    {
        vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024));
        gateway = vireo.gateway();
        vireo.addBridge("br0", null);
        vireo.addBridge("br1", null);
        gateway.addRouter("r1");
        gateway.addRouter("r2");
    }

    @AfterEach
    void tearDown()
    {
        vireo.close();
    }

    @Test
    void attachingAgainWithTheSameAddressesIsTheSameInterface()
    {
        final RouterInfo first = gateway.attachRouter("r1", "br0", List.of("10.0.0.1/24", "fd00::1/64"), null, null);
        final RouterInfo again = gateway.attachRouter("r1", "br0", List.of("fd00:0::1/64", "10.0.0.1/24"), null, null);
        assertEquals(first, again, "same addresses in another order and spelling, the same MAC kept");

        assertTrue(conflict(() -> gateway.attachRouter("r1", "br0", List.of("10.0.0.2/24"), null, null))
            .contains("already has an interface of router r1 with 10.0.0.1/24, fd00::1/64"));
        assertTrue(conflict(() -> gateway.attachRouter("r1", "br0", List.of("10.0.0.1/24", "fd00::1/64"), null, 9000))
            .contains("already has an interface"), "another MTU is another interface");
        assertTrue(conflict(() -> gateway.attachRouter("r2", "br0", List.of("10.0.0.1/24"), null, null))
            .contains("of router r1"));
        assertEquals(1, gateway.router("r1").interfaces().size());
    }

    @Test
    void anEqualRuleIsTheRuleThereAndAPublishedPortIsPublishedOnce()
    {
        gateway.attachRouter("r1", "br0", List.of("10.0.0.1/24"), null, null);
        gateway.attachRouter("r1", "br1", List.of("10.1.0.1/24"), null, null);
        final NatRuleSpec masquerade = new NatRuleSpec(null, "masquerade", "br1", "10.0.0.0/24", null, null, null, null, "net:a");
        final NatRuleSpec added = gateway.addNat("r1", masquerade);
        assertEquals(added, gateway.addNat("r1", masquerade));

        final NatRuleSpec web = gateway.addNat("r1", publish(8080, "10.0.0.2:80", null, "cni:a"));
        assertEquals(web, gateway.addNat("r1", publish(8080, "10.0.0.2:80", null, "cni:a")));
        assertTrue(conflict(() -> gateway.addNat("r1", publish(8080, "10.0.0.3:80", null, "cni:b")))
            .contains("tcp port 8080 of router r1 is published to 10.0.0.2:80 already (rule " + web.id() + ", owner cni:a)"));
        assertTrue(conflict(() -> gateway.addNat("r1", publish(8080, "10.0.0.3:80", "br1", null))).contains("already"),
            "a rule on one bridge overlaps one on all");
        gateway.addNat("r1", new NatRuleSpec(null, "publish", null, null, "udp", 8080, "10.0.0.3:80", null, null));
        gateway.addNat("r1", publish(8081, "10.0.0.3:80", "br1", null));
        gateway.addNat("r1", publish(8082, "10.0.0.3:80", "br0", null));
        gateway.addNat("r1", publish(8082, "10.0.0.4:80", "br1", null));
        assertEquals(6, gateway.nat("r1").size());

        final VireoException badOwner = assertThrows(VireoException.class,
            () -> gateway.addNat("r1", publish(9000, "10.0.0.3:80", null, "a b")));
        assertTrue(badOwner.getMessage().contains("invalid owner 'a b'"), badOwner.getMessage());
    }

    private static NatRuleSpec publish(final int port, final String to, final String on, final String owner)
    {
        return new NatRuleSpec(null, "publish", null, null, "tcp", port, to, on, owner);
    }

    private static String conflict(final Runnable change)
    {
        final VireoException ex = assertThrows(VireoException.class, change::run);
        assertEquals(VireoException.Kind.CONFLICT, ex.kind(), ex.getMessage());
        return ex.getMessage();
    }
}
