package io.vireo.vswitch.cli;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonGenerator;
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

    /** The listing's columns, wide enough for any IPv4 connection: each page is printed as it comes. */
    private static final String ROW = "%-7s%-48s%-48s%-13s%s";

    @Command(name = "list", description = "List a router's connections, asking the daemon for a page of them at a time.")
    int list(
        @Parameters(paramLabel = "ROUTER") final String router,
        @Option(names = "--page-size", paramLabel = "N", defaultValue = "100000",
            description = "connections to ask for in one request, 1-1000000 (default ${DEFAULT-VALUE})") final int pageSize,
        @Option(names = "--json") final boolean json) throws IOException
    {
        JsonGenerator generator = null;
        JsonNode page = null;
        do
        {
            final boolean first = null == page;
            final String from = first ? "0" : page.get("next").asText();
            page = root.request("GET", "/v1/routers/" + router + "/conntrack?from=" + from + "&limit=" + pageSize, null);
            if (null == page)
            {
                // A page after the first failed (the router went away, say): what was printed stays, the exit says so.
                if (null != generator)
                {
                    generator.flush();
                    root.out.println();
                }
                return 1;
            }
            if (first && json)
            {
                generator = Vireoctl.JSON.getFactory().createGenerator(root.out).useDefaultPrettyPrinter()
                    .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
                generator.writeStartObject();
                generator.writeStringField("router", page.get("router").asText());
                generator.writeArrayFieldStart("connections");
            }
            else if (first)
            {
                root.out.println(row("PROTO", "ORIGINAL", "REPLY", "STATE", "EXPIRES(s)"));
            }
            for (final JsonNode connection : page.get("connections"))
            {
                if (json)
                {
                    generator.writeTree(connection);
                }
                else
                {
                    root.out.println(row(text(connection, "protocol"), text(connection, "original"),
                        text(connection, "reply"), text(connection, "state"), text(connection, "expiresInSeconds")));
                }
            }
        }
        while (page.hasNonNull("next"));
        if (null != generator)
        {
            generator.writeEndArray();
            generator.writeEndObject();
            generator.flush();
            root.out.println();
        }
        return 0;
    }

    private static String row(final String... cells)
    {
        return String.format(ROW, (Object[])cells).stripTrailing();
    }

    @Command(name = "flush", description = "Forget a router's connections.")
    int flush(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
        throws JsonProcessingException
    {
        return root.call("DELETE", "/v1/routers/" + router + "/conntrack", null, json,
            (node, out) -> out.println(node.get("flushed").asText() + " connections of " + router + " flushed"));
    }
}
