package io.vireo.cluster;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.vireo.api.Endpoint;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReconcilerTest
{
    private static final String MAC_A = "02:00:00:00:00:0a";
    private static final String MAC_B = "02:00:00:00:00:0b";
    private static final String MAC_C = "02:00:00:00:00:0c";

    private final ClusterKeys keys = new ClusterKeys("/vireo/");
    private final ClusterView view = new ClusterView(keys);
    private final ModelSwitch overlay = new ModelSwitch();
    private final Reconciler reconciler = new Reconciler(new Member("n1", "192.0.2.1", 4789), overlay);

    @BeforeEach
    void aClusterOfThreeWithOneNetwork() throws JsonProcessingException
    {
        put(keys.member("n1"), new Member("n1", "192.0.2.1", 4789));
        put(keys.member("n2"), new Member("n2", "192.0.2.2", 4789));
        put(keys.member("n3"), new Member("n3", "192.0.2.3", 4789));
        put(keys.network("blue"), AddressBlocks.network("blue", 100, "10.1.0.0/16", null));
        put(keys.endpoint("blue", MAC_A), new PublishedEndpoint(MAC_A, List.of("10.1.0.2"), "n1"));
        put(keys.endpoint("blue", MAC_B), new PublishedEndpoint(MAC_B, List.of("10.1.0.66"), "n2"));
    }

    @Test
    void aResyncInstallsNetworksPeersAndEndpoints()
    {
        reconciler.resync(view);
        assertEquals(Map.of("blue", 100), overlay.networks);
        assertEquals(Set.of("192.0.2.2", "192.0.2.3"), overlay.peers.get("blue"));
        assertEquals(new Endpoint(MAC_A, List.of("10.1.0.2"), Endpoint.LOCAL), overlay.endpointsOf("blue").get(MAC_A));
        assertEquals(new Endpoint(MAC_B, List.of("10.1.0.66"), "192.0.2.2"), overlay.endpointsOf("blue").get(MAC_B));
        overlay.calls.clear();
        reconciler.resync(view);
        assertEquals(List.of(), overlay.calls, "a second resync of the same view changes nothing");
    }

    @Test
    void eventsTouchOnlyWhatChanged() throws JsonProcessingException
    {
        reconciler.resync(view);
        overlay.calls.clear();
        change(put(keys.endpoint("blue", MAC_C), new PublishedEndpoint(MAC_C, List.of("10.1.0.130"), "n3")));
        assertEquals(List.of("addEndpoint blue " + MAC_C), overlay.calls);
        overlay.calls.clear();
        change(view.delete(keys.endpoint("blue", MAC_C)));
        assertEquals(List.of("removeEndpoint blue " + MAC_C), overlay.calls);
    }

    @Test
    void aMemberThatGoesTakesItsPeerAndEndpointsWithIt() throws JsonProcessingException
    {
        reconciler.resync(view);
        change(view.delete(keys.member("n2")));
        assertEquals(Set.of("192.0.2.3"), overlay.peers.get("blue"));
        assertEquals(Set.of(MAC_A), overlay.endpointsOf("blue").keySet());
        // it comes back (a new lease): its endpoint is installed again once it is published again
        change(put(keys.member("n2"), new Member("n2", "192.0.2.2", 4789)));
        assertEquals(Set.of("192.0.2.2", "192.0.2.3"), overlay.peers.get("blue"));
        assertEquals(new Endpoint(MAC_B, List.of("10.1.0.66"), "192.0.2.2"), overlay.endpointsOf("blue").get(MAC_B));
    }

    @Test
    void aMemberThatMovesMovesItsPeerAndEndpointsAndAnUnderlayStaysAPeerWhileAnyOtherMemberIsAtIt()
        throws JsonProcessingException
    {
        reconciler.resync(view);
        overlay.calls.clear();
        change(put(keys.member("n2"), new Member("n2", "192.0.2.12", 4789)));
        assertEquals(List.of("removePeer blue 192.0.2.2", "addPeer blue 192.0.2.12", "addEndpoint blue " + MAC_B), overlay.calls);
        assertEquals(Set.of("192.0.2.12", "192.0.2.3"), overlay.peers.get("blue"));
        assertEquals(new Endpoint(MAC_B, List.of("10.1.0.66"), "192.0.2.12"), overlay.endpointsOf("blue").get(MAC_B));

        // n4 at n3's underlay (a node renamed while its old record lives on): n3 going leaves the peer
        change(put(keys.member("n4"), new Member("n4", "192.0.2.3", 4789)));
        change(view.delete(keys.member("n3")));
        assertEquals(Set.of("192.0.2.12", "192.0.2.3"), overlay.peers.get("blue"));
        change(view.delete(keys.member("n4")));
        assertEquals(Set.of("192.0.2.12"), overlay.peers.get("blue"));

        // a member at this node's own underlay is no peer; nor is this node at another
        change(put(keys.member("n5"), new Member("n5", "192.0.2.1", 4789)));
        change(put(keys.member("n1"), new Member("n1", "192.0.2.31", 4789)));
        assertEquals(Set.of("192.0.2.12"), overlay.peers.get("blue"));
        overlay.calls.clear();
        reconciler.resync(view);
        assertEquals(List.of(), overlay.calls, "what the events did is what a resync would do");
    }

    @Test
    void anEndpointWaitsForItsNodeToBeAMember() throws JsonProcessingException
    {
        put(keys.endpoint("blue", MAC_C), new PublishedEndpoint(MAC_C, List.of(), "n4"));
        reconciler.resync(view);
        assertTrue(!overlay.endpointsOf("blue").containsKey(MAC_C));
        change(put(keys.member("n4"), new Member("n4", "192.0.2.4", 4789)));
        assertEquals(new Endpoint(MAC_C, List.of(), "192.0.2.4"), overlay.endpointsOf("blue").get(MAC_C));
    }

    @Test
    void anEndpointThatMovesFollowsItsNode() throws JsonProcessingException
    {
        reconciler.resync(view);
        change(put(keys.endpoint("blue", MAC_B), new PublishedEndpoint(MAC_B, List.of("10.1.0.66"), "n3")));
        assertEquals("192.0.2.3", overlay.endpointsOf("blue").get(MAC_B).underlay());
        assertTrue(view.endpointsOf("n2").isEmpty());
    }

    @Test
    void aDeletedNetworkGoesFromTheSwitch()
    {
        reconciler.resync(view);
        change(view.delete(keys.network("blue")));
        assertEquals(Map.of(), overlay.networks);
    }

    /**
     * A switch handed over by another process ({@code vireod --takeover}) has the network with its peers and remote
     * endpoints: the reconciler leaves those the view has as they are, removes the one it lacks, installs the rest.
     */
    @Test
    void aNetworkHandedOverKeepsTheRemoteEndpointsTheViewHasAndLosesTheOthers()
    {
        overlay.networks.put("blue", 100);
        overlay.peers.put("blue", new HashSet<>(Set.of("192.0.2.2", "192.0.2.3")));
        overlay.endpoints.put("blue", new HashMap<>(Map.of(
            MAC_B, new Endpoint(MAC_B, List.of("10.1.0.66"), "192.0.2.2"),
            MAC_C, new Endpoint(MAC_C, List.of("10.1.0.130"), "192.0.2.3"))));

        reconciler.resync(view);

        assertEquals(Set.of("ensureNetwork blue", "addEndpoint blue " + MAC_A, "removeEndpoint blue " + MAC_C),
            new HashSet<>(overlay.calls));
        assertEquals(Set.of(MAC_A, MAC_B), overlay.endpointsOf("blue").keySet());
        assertEquals(1, reconciler.networks().get(0).remoteEndpoints());
    }

    @Test
    void aRefusedNetworkIsCountedAndTriedAgainOnTheNextResync()
    {
        overlay.refuseNetwork = "blue";
        reconciler.resync(view);
        assertEquals(Map.of(), overlay.networks);
        assertEquals(1, reconciler.failures());
        assertTrue(reconciler.lastError().contains("other VXLAN settings"));
        overlay.refuseNetwork = null;
        reconciler.resync(view);
        assertEquals(Map.of("blue", 100), overlay.networks);
        assertEquals(2, overlay.endpointsOf("blue").size());
    }

    @Test
    void aResyncAfterMissedEventsRemovesWhatIsGone()
    {
        reconciler.resync(view);
        view.delete(keys.member("n3"));
        view.delete(keys.endpoint("blue", MAC_B));
        reconciler.resync(view);
        assertEquals(Set.of("192.0.2.2"), overlay.peers.get("blue"));
        assertEquals(Set.of(MAC_A), overlay.endpointsOf("blue").keySet());
    }

    @Test
    void aNetworkBridgeLeftFromBeforeThatTheClusterNoLongerHasIsRemoved()
    {
        overlay.networks.put("gone", 7);
        reconciler.resync(view);
        assertEquals(Map.of("blue", 100), overlay.networks);
    }

    @Test
    void peersABridgeHadFromBeforeThatAreNoMembersAreRemoved()
    {
        overlay.networks.put("blue", 100);
        overlay.peers.put("blue", new java.util.HashSet<>(Set.of("192.0.2.3", "192.0.2.99")));
        reconciler.resync(view);
        assertEquals(Set.of("192.0.2.2", "192.0.2.3"), overlay.peers.get("blue"));
    }

    @Test
    void malformedValuesAreCountedNotThrown()
    {
        reconciler.resync(view);
        assertEquals(null, view.put(keys.member("n9"), "{not json".getBytes()));
        assertEquals(null, view.put(keys.member("n9"), "{\"node\":\"n8\",\"underlay\":\"192.0.2.9\"}".getBytes()));
        assertEquals(null, view.put(keys.member("n9"), "{\"node\":\"n9\",\"underlay\":\"::1\"}".getBytes()));
        // a bad value replacing a good one counts as the key gone
        assertEquals(ClusterKeys.Kind.MEMBER, view.put(keys.member("n3"), "[]".getBytes()).kind());
        assertEquals(4, view.malformed);
    }

    private ClusterView.Change put(final String key, final Object value) throws JsonProcessingException
    {
        return view.put(key, ClusterView.JSON.writeValueAsBytes(value));
    }

    private void change(final ClusterView.Change change)
    {
        reconciler.changed(view, change);
    }
}
