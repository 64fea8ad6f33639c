package io.vireo.cluster;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.vireo.api.Endpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The cluster's state as a node reads it from the store, over arbitrary keys and values: a sequence of puts
 * and deletes (keys of every kind, some foreign, values well formed, lying or garbage) applied to the
 * {@link ClusterView} and handed, change by change, to the {@link Reconciler} over a model switch. Nothing
 * throws, and after a last resync the switch has exactly what the view says: a bridge per network, a peer
 * per other member's underlay, every endpoint of a member (this node's as answers only; none of a member
 * claiming this node's underlay, which it cannot reach).
 */
class ClusterViewFuzzTest
{
    private static final String[] NAMES = {"n1", "n2", "n3", "blue", "red", "x"};
    private static final String[] MACS = {"02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03"};

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void theSwitchEndsWithWhatTheViewSays(final FuzzedDataProvider data)
    {
        final ClusterKeys keys = new ClusterKeys("/vireo/");
        final ClusterView view = new ClusterView(keys);
        final ModelSwitch overlay = new ModelSwitch();
        final Reconciler reconciler = new Reconciler(new Member("n1", "192.0.2.1", 4789), overlay);
        final int steps = data.consumeInt(0, 64);
        for (int step = 0; step < steps && data.remainingBytes() > 0; step++)
        {
            final String key = key(keys, data);
            final ClusterView.Change change = data.consumeBoolean() ? view.delete(key) : view.put(key, value(data));
            if (null != change)
            {
                reconciler.changed(view, change);
            }
            if (data.consumeInt(0, 15) == 0)
            {
                reconciler.resync(view);
            }
        }
        reconciler.resync(view);

        assertEquals(view.networks.keySet(), overlay.networks.keySet());
        final Set<String> others = new HashSet<>();
        view.members.values().stream().filter(member -> !"n1".equals(member.node()) && !"192.0.2.1".equals(member.underlay()))
            .forEach(member -> others.add(member.underlay()));
        for (final Network network : view.networks.values())
        {
            assertEquals(others, overlay.peers.getOrDefault(network.name(), Set.of()), network.name() + "'s peers");
            final Map<String, Endpoint> wanted = new HashMap<>();
            view.endpoints.getOrDefault(network.name(), Map.of()).forEach((mac, published) ->
            {
                final Member node = view.members.get(published.node());
                if ("n1".equals(published.node()))
                {
                    wanted.put(mac, new Endpoint(mac, published.addresses(), Endpoint.LOCAL));
                }
                else if (null != node && !"192.0.2.1".equals(node.underlay()))
                {
                    wanted.put(mac, new Endpoint(mac, published.addresses(), node.underlay()));
                }
            });
            assertEquals(wanted, overlay.endpointsOf(network.name()), network.name() + "'s endpoints");
        }
    }

    private static String key(final ClusterKeys keys, final FuzzedDataProvider data)
    {
        final String name = data.pickValue(NAMES);
        return switch (data.consumeInt(0, 6))
        {
            case 0 -> keys.member(name);
            case 1 -> keys.network(name);
            case 2 -> keys.endpoint(data.pickValue(NAMES), data.pickValue(MACS));
            case 3 -> keys.block(name, "10.1.0." + data.consumeInt(0, 3) * 64 + "/26");
            case 4 -> keys.address(name, "10.1.0." + data.consumeInt(0, 255));
            case 5 -> keys.prefix() + data.consumeString(40);
            default -> data.consumeString(40);
        };
    }

    /** A value: a well-formed record with fuzzed fields, or bytes as they come. */
    private static byte[] value(final FuzzedDataProvider data)
    {
        final String json = switch (data.consumeInt(0, 5))
        {
            case 0 -> "{\"node\":\"" + data.pickValue(NAMES) + "\",\"underlay\":\"192.0.2." + data.consumeInt(0, 4) +
                "\",\"vtepPort\":4789}";
            case 1 -> "{\"name\":\"" + data.pickValue(NAMES) + "\",\"vni\":" + data.consumeInt(-1, 5) +
                ",\"subnet\":\"10.1.0.0/" + data.consumeInt(0, 33) + "\",\"blockPrefix\":" + data.consumeInt(0, 33) + "}";
            case 2 -> "{\"mac\":\"" + data.pickValue(MACS) + "\",\"addresses\":[\"10.1.0." + data.consumeInt(0, 255) +
                "\"],\"node\":\"" + data.pickValue(NAMES) + "\"}";
            case 3 -> "{\"node\":\"" + data.pickValue(NAMES) + "\",\"owner\":\"" + data.consumeString(8) + "\"}";
            default -> null;
        };
        return null != json ? json.getBytes(StandardCharsets.UTF_8) : data.consumeBytes(64);
    }
}
