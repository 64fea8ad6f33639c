package io.vireo.vswitch.cli;

import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import static io.vireo.vswitch.cli.Vireoctl.text;

/** {@code vireoctl conntrack}: the connections a router's NAT tracks. */
@Command(name = "conntrack", description = "The connections a router's NAT tracks.", mixinStandardHelpOptions = true)
final class ConntrackCommand
{
    @ParentCommand
    Vireoctl root;

    @Command(name = "list", description = "List a router's connections.")
    int list(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
        throws JsonProcessingException
    {
        return root.call("GET", "/v1/routers/" + router + "/conntrack", null, json, (node, out) ->
        {
            final Vireoctl.Table table = new Vireoctl.Table("PROTO", "ORIGINAL", "REPLY", "STATE", "EXPIRES(s)");
            for (final JsonNode connection : node.get("connections"))
            {
                table.row(text(connection, "protocol"), text(connection, "original"), text(connection, "reply"),
                    text(connection, "state"), text(connection, "expiresInSeconds"));
            }
            table.print(out);
        });
    }

    @Command(name = "flush", description = "Forget a router's connections.")
    int flush(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
        throws JsonProcessingException
    {
        return root.call("DELETE", "/v1/routers/" + router + "/conntrack", null, json,
            (node, out) -> out.println(node.get("flushed").asText() + " connections of " + router + " flushed"));
    }
}
