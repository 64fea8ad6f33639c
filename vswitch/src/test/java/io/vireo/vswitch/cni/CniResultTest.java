package io.vireo.vswitch.cni;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Results read from IPAM plugins and prevResults of any version, written in the config's version. */
class CniResultTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What host-local prints for a 0.4.0 config: ips carry "version", no interfaces. */
    private static final String HOST_LOCAL_040 = "{\"cniVersion\":\"0.4.0\",\"ips\":[{\"version\":\"4\"," +
        "\"address\":\"10.94.0.2/24\",\"gateway\":\"10.94.0.1\"},{\"version\":\"6\",\"address\":\"fd00::2/64\"}]," +
        "\"routes\":[{\"dst\":\"0.0.0.0/0\"},{\"dst\":\"fd01::/64\",\"gw\":\"fd00::1\"}],\"dns\":{\"nameservers\":[\"10.94.0.53\"]}}";

    @Test
    void anIpamResultOfAnOlderVersionIsRead() throws Exception
    {
        final CniResult result = CniResult.parse(JSON.readTree(HOST_LOCAL_040), "host-local");
        assertEquals(List.of(), result.interfaces());
        assertEquals(new CniResult.IpConfig("10.94.0.2/24", "10.94.0.1", null), result.ips().get(0));
        assertEquals(new CniResult.IpConfig("fd00::2/64", null, null), result.ips().get(1));
        assertEquals("10.94.0.1", result.gatewayFor("0.0.0.0/0"));
        assertNull(result.gatewayFor("fd01::/64"), "no IPv6 address has a gateway");
        assertEquals("[\"10.94.0.53\"]", result.dns().get("nameservers").toString());
    }

    @Test
    void versionOneWritesNoIpVersionOlderVersionsDo() throws Exception
    {
        final CniResult result = new CniResult(List.of(new CniResult.Interface("eth0", "02:00:00:00:00:01", "/run/netns/a", 1450)),
            List.of(new CniResult.IpConfig("10.94.0.2/24", "10.94.0.1", 0)), List.of(new CniResult.Route("10.95.0.0/16", null)),
            null);
        assertEquals("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"02:00:00:00:00:01\"," +
            "\"sandbox\":\"/run/netns/a\",\"mtu\":1450}],\"ips\":[{\"address\":\"10.94.0.2/24\",\"gateway\":\"10.94.0.1\",\"interface\":0}]," +
            "\"routes\":[{\"dst\":\"10.95.0.0/16\"}],\"dns\":{}}", result.toJson(JSON, "1.0.0").toString());
        final JsonNode old = result.toJson(JSON, "0.4.0");
        assertEquals("4", old.get("ips").get(0).get("version").asText());
        assertEquals("0.4.0", old.get("cniVersion").asText());
    }

    @Test
    void aLaterPluginsInterfacesFollowTheEarlierOnes() throws Exception
    {
        final CniResult previous = CniResult.parse(JSON.readTree("{\"cniVersion\":\"1.0.0\",\"interfaces\":[{\"name\":\"lo0\"}]," +
            "\"ips\":[{\"address\":\"192.0.2.1/32\",\"interface\":0}],\"dns\":{\"domain\":\"example\"}}"), "prevResult");
        final CniResult mine = new CniResult(List.of(new CniResult.Interface("eth0", null, "/run/netns/a", null)),
            List.of(new CniResult.IpConfig("10.94.0.2/24", null, 0)), List.of(), null);
        final CniResult both = previous.followedBy(mine);
        assertEquals(List.of("lo0", "eth0"), both.interfaces().stream().map(CniResult.Interface::name).toList());
        assertEquals(1, both.ips().get(1).interfaceIndex());
        assertEquals("example", both.dns().get("domain").asText(), "the earlier DNS stays when the later has none");
    }

    @Test
    void anythingButAddressLiteralsIsRefused()
    {
        for (final String bad : List.of(
            "{\"ips\":[{\"address\":\"10.94.0.2\"}]}",
            "{\"ips\":[{\"address\":\"10.94.0.2/24 dev lo\"}]}",
            "{\"ips\":[{\"address\":\"10.94.0.2/24\",\"gateway\":\"router.example\"}]}",
            "{\"routes\":[{\"gw\":\"10.94.0.1\"}]}",
            "[]"))
        {
            final CniException ex = assertThrows(CniException.class, () -> CniResult.parse(JSON.readTree(bad), "ipam"), bad);
            assertEquals(CniException.DECODING_FAILURE, ex.code(), bad);
        }
    }
}
