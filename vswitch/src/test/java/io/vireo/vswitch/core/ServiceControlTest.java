package io.vireo.vswitch.core;

import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the control plane refuses in a service and its backends, and what it keeps. */
class ServiceControlTest
{
    private Vireo vireo;
    private VireoGateway gateway;

    @BeforeEach
    void setUp()
    {
        vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024));
        gateway = vireo.gateway();
        vireo.addBridge("br0", null);
        gateway.addRouter("r1");
        gateway.attachRouter("r1", "br0", List.of("10.0.0.1/24"), null, null);
    }

    @AfterEach
    void tearDown()
    {
        vireo.close();
    }

    @Test
    void badServicesAreRefusedSayingWhy()
    {
        assertInvalid("DNS label", spec("Web", "10.96.0.1:80", "tcp", null, null));
        assertInvalid("IPV4-ADDRESS:PORT", spec("web", "10.96.0.1", "tcp", null, null));
        assertInvalid("1..65535", spec("web", "10.96.0.1:0", "tcp", null, null));
        assertInvalid("one IPv4 address", spec("web", "fd00::1:80", "tcp", null, null));
        assertInvalid("tcp or udp", spec("web", "10.96.0.1:80", "sctp", null, null));
        assertInvalid("algorithm must be one of", spec("web", "10.96.0.1:80", "tcp", "random", null));
        assertInvalid("cannot be probed", spec("dns", "10.96.0.1:53", "udp", null,
            new ServiceSpec.HealthCheck(true, null, null, null, null)));
        assertInvalid("less than the interval", spec("web", "10.96.0.1:80", "tcp", null,
            new ServiceSpec.HealthCheck(null, 1_000L, 1_000L, null, null)));
        assertInvalid("weight must be", new ServiceSpec("web", "10.96.0.1:80", null, null, null, null,
            List.of(new ServiceSpec.BackendSpec("10.0.0.2:80", 0))));
        assertInvalid("given twice", new ServiceSpec("web", "10.96.0.1:80", null, null, null, null,
            List.of(new ServiceSpec.BackendSpec("10.0.0.2:80", 1), new ServiceSpec.BackendSpec("10.0.0.2:80", 2))));
        assertTrue(gateway.services("r1").isEmpty(), "nothing was added");
    }

    @Test
    void servicesConflictByNameAndAddressAndPublishedPortsAndBackendsAreIdempotent()
    {
        final ServiceInfo web = gateway.addService("r1", new ServiceSpec("web", "10.96.0.1:80", null, "wrr", null, null,
            List.of(new ServiceSpec.BackendSpec("10.0.0.2:80", 2))));
        assertEquals("tcp", web.protocol());
        assertEquals(new ServiceSpec.HealthCheck(true, 2_000L, 1_000L, 2, 3), web.health(), "the defaults filled in");
        assertEquals(VireoException.Kind.CONFLICT, assertThrows(VireoException.class,
            () -> gateway.addService("r1", spec("web", "10.96.0.2:80", null, null, null))).kind());
        assertEquals(VireoException.Kind.CONFLICT, assertThrows(VireoException.class,
            () -> gateway.addService("r1", spec("web2", "10.96.0.1:80", null, null, null))).kind());
        gateway.addService("r1", spec("dns", "10.96.0.1:80", "udp", null, null));

        gateway.addService("r1", spec("edge", "10.0.0.1:8080", null, null, null));
        assertEquals(VireoException.Kind.CONFLICT, assertThrows(VireoException.class, () -> gateway.addNat("r1",
            new NatRuleSpec(null, "publish", null, null, "tcp", 8080, "10.0.0.9:80", null, null))).kind(),
            "the router's own port 8080 is a service already");

        assertEquals(1, gateway.addBackend("r1", "web", new ServiceSpec.BackendSpec("10.0.0.2:80", 2)).backends().size(),
            "the same backend again is the one there");
        assertEquals(VireoException.Kind.CONFLICT, assertThrows(VireoException.class,
            () -> gateway.addBackend("r1", "web", new ServiceSpec.BackendSpec("10.0.0.2:80", 3))).kind());
        assertEquals(VireoException.Kind.NOT_FOUND, assertThrows(VireoException.class,
            () -> gateway.deleteBackend("r1", "web", "10.0.0.3:80")).kind());
        assertEquals(List.of(new ServiceSpec("web", "10.96.0.1:80", "tcp", "wrr", null,
            new ServiceSpec.HealthCheck(true, 2_000L, 1_000L, 2, 3), List.of(new ServiceSpec.BackendSpec("10.0.0.2:80", 2)))),
            gateway.serviceSpecs("r1").subList(0, 1), "what a config file keeps");
        assertTrue(vireo.ports().stream().anyMatch(port -> "router".equals(port.type())), "the probe port");
        gateway.deleteService("r1", "web");
        gateway.deleteService("r1", "edge");
        assertTrue(vireo.ports().stream().noneMatch(port -> "router".equals(port.type())), "no probe port without probes");
    }

    private void assertInvalid(final String why, final ServiceSpec spec)
    {
        final VireoException ex = assertThrows(VireoException.class, () -> gateway.addService("r1", spec));
        assertEquals(VireoException.Kind.INVALID, ex.kind(), ex.getMessage());
        assertTrue(ex.getMessage().contains(why), ex.getMessage());
    }

    private static ServiceSpec spec(
        final String name, final String vip, final String protocol, final String algorithm, final ServiceSpec.HealthCheck health)
    {
        return new ServiceSpec(name, vip, protocol, algorithm, null, health, null);
    }
}
