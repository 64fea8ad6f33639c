package io.vireo.vswitch.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vireo.vswitch.control.ClusterApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** {@code vireoctl network}: the cluster's networks ({@code /v1/networks}), a bridge on every node. */
@Command(name = "network", mixinStandardHelpOptions = true,
    description = "Cluster networks: one bridge on every node of the cluster, joined by VXLAN, addresses from its subnet.")
final class NetworkCommand
{
    @ParentCommand
    Vireoctl root;

    @Command(name = "add", description = "Add a network to the cluster; every node creates its bridge.")
    int add(
        @Parameters(index = "0", paramLabel = "NAME", description = "the bridge's name on every node") final String name,
        @Option(names = "--vni", required = true, paramLabel = "N", description = "its VXLAN network identifier, 1..16777215") final int vni,
        @Option(names = "--subnet", required = true, paramLabel = "CIDR",
            description = "one subnet: IPv4 /8../29 or IPv6 /16../125") final String subnet,
        @Option(names = "--block-prefix", paramLabel = "LEN",
            description = "the size of the address blocks nodes claim, as a prefix length " +
                "(default /26 for IPv4, up to /30; /122 for IPv6, up to /126)") final Integer blockPrefix,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("POST", "/v1/networks", new ClusterApi.NetworkRequest(name, vni, subnet, blockPrefix), json,
            (node, out) -> out.println("cluster network " + name + " added: VNI " + node.get("vni").asInt() + ", subnet " +
                node.get("subnet").asText() + ", blocks of /" + node.get("blockPrefix").asInt()));
    }

    @Command(name = "del", description = "Delete a network from the cluster, with its endpoints and addresses.")
    int del(@Parameters(index = "0", paramLabel = "NAME") final String name,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("DELETE", "/v1/networks/" + name, null, json, Vireoctl.message("cluster network " + name + " deleted"));
    }

    @Command(name = "list", description = "List the cluster's networks.")
    int list(@Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("GET", "/v1/networks", null, json, (node, out) ->
        {
            final Vireoctl.Table table = new Vireoctl.Table("NETWORK", "VNI", "SUBNET", "BLOCKS");
            for (final JsonNode network : node)
            {
                table.row(Vireoctl.text(network, "name"), Vireoctl.text(network, "vni"), Vireoctl.text(network, "subnet"),
                    "/" + Vireoctl.text(network, "blockPrefix"));
            }
            table.print(out);
        });
    }
}
