package io.vireo.vswitch.cli;

import java.util.ArrayList;
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

/** {@code vireoctl router}: routers and their interfaces on bridges. */
@Command(name = "router", description = "Add, delete, list routers, and attach them to bridges.", mixinStandardHelpOptions = true)
final class RouterCommand
{
    @ParentCommand
    Vireoctl root;

    @Command(name = "add", description = "Add a router with no interfaces.")
    int add(@Parameters(paramLabel = "NAME") final String name, @Option(names = "--json") final boolean json)
        throws JsonProcessingException
    {
        return root.call("POST", "/v1/routers", new ControlApi.RouterRequest(name), json, message("router " + name + " added"));
    }

    @Command(name = "del", description = "Delete a router, its interfaces and routes.")
    int del(@Parameters(paramLabel = "NAME") final String name, @Option(names = "--json") final boolean json)
        throws JsonProcessingException
    {
        return root.call("DELETE", "/v1/routers/" + name, null, json, message("router " + name + " deleted"));
    }

    @Command(name = "attach", description = "Give a router an interface on a bridge: it answers ARP and neighbour "
        + "solicitations for its addresses and is the gateway of the bridge's endpoints.")
    int attach(
        @Parameters(index = "0", paramLabel = "ROUTER") final String router,
        @Parameters(index = "1", paramLabel = "BRIDGE") final String bridge,
        @Option(names = "--ip", required = true, paramLabel = "ADDRESS/LENGTH",
            description = "an address of the interface, IPv4 or IPv6; repeat for more") final List<String> addresses,
        @Option(names = "--mac", paramLabel = "MAC", description = "default: random, locally administered") final String mac,
        @Option(names = "--mtu", paramLabel = "N", description = "the largest IP packet routed onto the bridge (default 1500)") final Integer mtu,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("POST", "/v1/routers/" + router + "/interfaces",
            new ControlApi.InterfaceRequest(bridge, addresses, mac, mtu), json,
            message("router " + router + " attached to " + bridge));
    }

    @Command(name = "detach", description = "Take a router off a bridge, with the routes through that interface.")
    int detach(
        @Parameters(index = "0", paramLabel = "ROUTER") final String router,
        @Parameters(index = "1", paramLabel = "BRIDGE") final String bridge,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("DELETE", "/v1/routers/" + router + "/interfaces/" + bridge, null, json,
            message("router " + router + " detached from " + bridge));
    }

    @Command(name = "list", description = "List routers and their interfaces.")
    int list(@Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("GET", "/v1/routers", null, json, (node, out) ->
        {
            final Vireoctl.Table table = new Vireoctl.Table("ROUTER", "BRIDGE", "MAC", "MTU", "ADDRESSES", "ROUTES");
            for (final JsonNode router : node)
            {
                if (router.get("interfaces").isEmpty())
                {
                    table.row(text(router, "name"), "-", "-", "-", "-", text(router, "routes"));
                }
                for (final JsonNode routerInterface : router.get("interfaces"))
                {
                    final List<String> addresses = new ArrayList<>();
                    routerInterface.get("addresses").forEach(address -> addresses.add(address.asText()));
                    table.row(text(router, "name"), text(routerInterface, "bridge"), text(routerInterface, "mac"),
                        text(routerInterface, "mtu"), String.join(",", addresses), text(router, "routes"));
                }
            }
            table.print(out);
        });
    }
}
