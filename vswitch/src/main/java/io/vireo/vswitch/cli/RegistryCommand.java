package io.vireo.vswitch.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vireo.vswitch.control.RegistryApi;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/**
 * {@code vireoctl registry}: the daemon's service registry ({@code /v1/registry}): list instances, register one,
 * renew its lease, deregister it.
 */
@Command(name = "registry", mixinStandardHelpOptions = true,
    description = "The service registry: instances of services, each with an address, a port and a lease that "
        + "heartbeats renew.")
final class RegistryCommand
{
    @ParentCommand
    Vireoctl root;

    @Command(name = "list", description = "List the live instances of every service, or of one.")
    int list(
        @Parameters(arity = "0..1", paramLabel = "SERVICE") final String service,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("GET", null == service ? "/v1/registry" : "/v1/registry/" + service, null, json, (node, out) ->
        {
            final Vireoctl.Table table = new Vireoctl.Table("SERVICE", "ID", "ADDRESS", "PORT", "LEASE(s)", "OWNER", "METADATA");
            for (final JsonNode listing : null == service ? node.get("services") : List.of(node))
            {
                for (final JsonNode instance : listing.get("instances"))
                {
                    final List<String> metadata = new ArrayList<>();
                    instance.get("metadata").properties().forEach(entry -> metadata.add(entry.getKey() + "=" +
                        entry.getValue().asText()));
                    final int lease = instance.get("leaseSeconds").asInt();
                    table.row(Vireoctl.text(instance, "service"), Vireoctl.text(instance, "id"),
                        Vireoctl.text(instance, "address"), Vireoctl.text(instance, "port"),
                        0 == lease ? "none" : String.valueOf(lease), Vireoctl.text(instance, "owner"),
                        metadata.isEmpty() ? "-" : String.join(",", metadata));
                }
            }
            table.print(out);
        });
    }

    @Command(name = "register", description = "Register an instance of a service, or replace the one with its id. "
        + "It stays for its lease: renew it with heartbeats well within it (every third of it).")
    int register(
        @Parameters(index = "0", paramLabel = "SERVICE", description = "lower-case letters, digits and '-'") final String service,
        @Parameters(index = "1", paramLabel = "ID", description = "unique within the service") final String id,
        @Option(names = "--address", required = true, paramLabel = "IP", description = "IPv4 or IPv6") final String address,
        @Option(names = "--port", required = true, paramLabel = "PORT") final int port,
        @Option(names = "--lease", paramLabel = "SECONDS",
            description = "how long it lives without a heartbeat (default 30); 0: until deregistered") final Integer lease,
        @Option(names = "--meta", paramLabel = "KEY=VALUE", description = "metadata; repeat for more") final Map<String, String> meta,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("POST", "/v1/registry/" + service,
            new RegistryApi.RegisterRequest(id, address, port, meta, lease, null), json, (node, out) ->
            {
                final int seconds = node.get("leaseSeconds").asInt();
                out.println("instance " + id + " of " + service + " registered at " + node.get("address").asText() + ":" +
                    port + (0 == seconds ? ", no lease" : ", lease " + seconds + " s"));
            });
    }

    @Command(name = "heartbeat", description = "Renew an instance's lease; fails if it ran out (register again).")
    int heartbeat(
        @Parameters(index = "0", paramLabel = "SERVICE") final String service,
        @Parameters(index = "1", paramLabel = "ID") final String id,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("PUT", "/v1/registry/" + service + "/" + id, null, json,
            Vireoctl.message("lease of instance " + id + " of " + service + " renewed"));
    }

    @Command(name = "deregister", description = "Remove an instance.")
    int deregister(
        @Parameters(index = "0", paramLabel = "SERVICE") final String service,
        @Parameters(index = "1", paramLabel = "ID") final String id,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("DELETE", "/v1/registry/" + service + "/" + id, null, json,
            Vireoctl.message("instance " + id + " of " + service + " deregistered"));
    }
}
