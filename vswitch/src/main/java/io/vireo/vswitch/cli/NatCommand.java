package io.vireo.vswitch.cli;

import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vireo.vswitch.core.NatRuleSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import static io.vireo.vswitch.cli.Vireoctl.message;
import static io.vireo.vswitch.cli.Vireoctl.text;

/** {@code vireoctl nat}: a router's address translation rules. */
@Command(name = "nat", description = "A router's address translation: masquerade and published ports.",
    mixinStandardHelpOptions = true)
final class NatCommand
{
    @ParentCommand
    Vireoctl root;

    @Command(name = "masquerade", description = "New connections leaving by the router's interface on BRIDGE get the "
        + "router's address there as their source.")
    int masquerade(
        @Parameters(index = "0", paramLabel = "ROUTER") final String router,
        @Option(names = "--out", required = true, paramLabel = "BRIDGE") final String outBridge,
        @Option(names = "--from", paramLabel = "PREFIX", description = "only sources in this IPv4 prefix (default: any)") final String from,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("POST", "/v1/routers/" + router + "/nat",
            new NatRuleSpec(null, "masquerade", outBridge, from, null, null, null, null, null), json,
            (node, out) -> out.println("rule " + node.get("id").asText() + " added to " + router));
    }

    @Command(name = "publish", description = "New connections to PORT of the router's address go to IP:PORT.")
    int publish(
        @Parameters(index = "0", paramLabel = "ROUTER") final String router,
        @Option(names = "--proto", required = true, paramLabel = "tcp|udp") final String protocol,
        @Option(names = "--port", required = true, paramLabel = "PORT") final int port,
        @Option(names = "--to", required = true, paramLabel = "IP:PORT") final String to,
        @Option(names = "--on", paramLabel = "BRIDGE", description = "only on the router's address on this bridge (default: all)") final String on,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("POST", "/v1/routers/" + router + "/nat",
            new NatRuleSpec(null, "publish", null, null, protocol, port, to, on, null), json,
            (node, out) -> out.println("rule " + node.get("id").asText() + " added to " + router));
    }

    @Command(name = "del", description = "Delete a rule; connections it made go on until they end.")
    int del(
        @Parameters(index = "0", paramLabel = "ROUTER") final String router,
        @Parameters(index = "1", paramLabel = "ID") final int id,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("DELETE", "/v1/routers/" + router + "/nat/" + id, null, json,
            message("rule " + id + " deleted from " + router));
    }

    @Command(name = "list", description = "List a router's address translation rules.")
    int list(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
        throws JsonProcessingException
    {
        return root.call("GET", "/v1/routers/" + router + "/nat", null, json, (node, out) ->
        {
            final Vireoctl.Table table = new Vireoctl.Table("ID", "TYPE", "OUT", "FROM", "PROTO", "PORT", "TO", "ON", "OWNER");
            for (final JsonNode rule : node.get("rules"))
            {
                table.row(text(rule, "id"), text(rule, "type"), text(rule, "out"), text(rule, "from"),
                    text(rule, "protocol"), text(rule, "port"), text(rule, "to"), text(rule, "on"), text(rule, "owner"));
            }
            table.print(out);
        });
    }
}
