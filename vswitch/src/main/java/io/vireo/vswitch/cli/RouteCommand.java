package io.vireo.vswitch.cli;

import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vireo.vswitch.control.ControlApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import static io.vireo.vswitch.cli.Vireoctl.message;
import static io.vireo.vswitch.cli.Vireoctl.text;

/** {@code vireoctl route}: a router's routes. */
@Command(name = "route", description = "A router's routes.", mixinStandardHelpOptions = true)
final class RouteCommand
{
    @ParentCommand
    Vireoctl root;

    @Command(name = "add", description = "Add a static route through a gateway on one of the router's subnets.")
    int add(
        @Parameters(index = "0", paramLabel = "ROUTER") final String router,
        @Parameters(index = "1", paramLabel = "PREFIX", description = "IPv4 or IPv6, e.g. 10.2.0.0/16 or 0.0.0.0/0") final String prefix,
        @Option(names = "--via", required = true, paramLabel = "IP", description = "the gateway") final String via,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("POST", "/v1/routers/" + router + "/routes", new ControlApi.RouteRequest(prefix, via), json,
            message("route to " + prefix + " via " + via + " added to " + router));
    }

    @Command(name = "del", description = "Delete a static route.")
    int del(
        @Parameters(index = "0", paramLabel = "ROUTER") final String router,
        @Parameters(index = "1", paramLabel = "PREFIX") final String prefix,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("DELETE", "/v1/routers/" + router + "/routes/" + prefix, null, json,
            message("route to " + prefix + " deleted from " + router));
    }

    @Command(name = "list", description = "List a router's routes: connected ones, then static ones.")
    int list(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
        throws JsonProcessingException
    {
        return root.call("GET", "/v1/routers/" + router + "/routes", null, json, (node, out) ->
        {
            final Vireoctl.Table table = new Vireoctl.Table("PREFIX", "VIA", "BRIDGE", "TYPE");
            for (final JsonNode route : node.get("routes"))
            {
                table.row(text(route, "prefix"), text(route, "via"), text(route, "bridge"),
                    route.get("connected").asBoolean() ? "connected" : "static");
            }
            table.print(out);
        });
    }
}
