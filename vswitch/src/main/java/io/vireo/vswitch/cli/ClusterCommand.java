package io.vireo.vswitch.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code vireoctl cluster status}: this node of a cluster and the cluster as it sees it ({@code /v1/cluster}). */
@Command(name = "cluster", mixinStandardHelpOptions = true,
    description = "The cluster this vireod joined with --cluster: its members, leases, revision and store health.")
final class ClusterCommand
{
    @ParentCommand
    Vireoctl root;

    @Command(name = "status", description = "This node, the members it sees, its networks and the store's health.")
    int status(@Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("GET", "/v1/cluster", null, json, (node, out) ->
        {
            out.println("node " + Vireoctl.text(node, "node") + ", underlay " + Vireoctl.text(node, "underlay") +
                ", lease " + Long.toHexString(node.get("lease").asLong()) + " (" + node.get("leaseSeconds").asInt() +
                " s), store " + (node.get("storeUp").asBoolean() ? "up" : "DOWN") + ", revision " +
                node.get("revision").asLong() + ", endpoints " + node.get("endpoints").asInt() +
                ", pending writes " + node.get("pendingWrites").asInt());
            final Vireoctl.Table members = new Vireoctl.Table("MEMBER", "UNDERLAY", "VTEP PORT", "LEASE");
            for (final JsonNode member : node.get("members"))
            {
                members.row(Vireoctl.text(member, "node"), Vireoctl.text(member, "underlay"), Vireoctl.text(member, "vtepPort"),
                    Long.toHexString(member.get("lease").asLong()));
            }
            members.print(out);
            final Vireoctl.Table networks = new Vireoctl.Table("NETWORK", "VNI", "SUBNET", "PEERS", "LOCAL", "REMOTE");
            for (final JsonNode network : node.get("networks"))
            {
                networks.row(Vireoctl.text(network, "name"), Vireoctl.text(network, "vni"), Vireoctl.text(network, "subnet"),
                    Vireoctl.text(network, "peers"), Vireoctl.text(network, "localEndpoints"),
                    Vireoctl.text(network, "remoteEndpoints"));
            }
            networks.print(out);
            final JsonNode store = node.get("store");
            if (null != store && !store.isNull())
            {
                out.println("store: " + store);
            }
            final StringBuilder counters = new StringBuilder("counters:");
            node.get("counters").properties().forEach(entry ->
                counters.append(' ').append(entry.getKey()).append('=').append(entry.getValue().asLong()));
            out.println(counters);
            if (!node.get("lastError").isNull())
            {
                out.println("last error: " + Vireoctl.text(node, "lastError"));
            }
        });
    }
}
