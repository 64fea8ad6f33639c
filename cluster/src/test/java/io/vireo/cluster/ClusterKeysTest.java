package io.vireo.cluster;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class ClusterKeysTest
{
    private final ClusterKeys keys = new ClusterKeys("/vireo/");

    @Test
    void everyKeyParsesBackToWhatMadeIt()
    {
        assertEquals(new ClusterKeys.Parsed(ClusterKeys.Kind.MEMBER, "node-1", null), keys.parse(keys.member("node-1")));
        assertEquals(new ClusterKeys.Parsed(ClusterKeys.Kind.NETWORK, "blue", null), keys.parse(keys.network("blue")));
        assertEquals(new ClusterKeys.Parsed(ClusterKeys.Kind.ENDPOINT, "blue", "02:00:00:00:00:01"),
            keys.parse(keys.endpoint("blue", "02:00:00:00:00:01")));
        assertEquals("/vireo/blocks/blue/10.1.0.64-26", keys.block("blue", "10.1.0.64/26"));
        assertEquals(new ClusterKeys.Parsed(ClusterKeys.Kind.BLOCK, "blue", "10.1.0.64/26"),
            keys.parse(keys.block("blue", "10.1.0.64/26")));
        assertEquals(new ClusterKeys.Parsed(ClusterKeys.Kind.ADDRESS, "blue", "10.1.0.66"),
            keys.parse(keys.address("blue", "10.1.0.66")));
    }

    @Test
    void foreignKeysAreNotOurs()
    {
        assertNull(keys.parse("/other/members/node-1"));
        assertNull(keys.parse("/vireo/unknown/x"));
        assertNull(keys.parse("/vireo/members/"));
        assertNull(keys.parse("/vireo/members/a/b"));
        assertNull(keys.parse("/vireo/endpoints/blue"));
        assertNull(keys.parse("/vireo/endpoints/blue//"));
        assertNull(keys.parse("/vireo/"));
    }
}
