package io.vireo.vswitch.cli;

import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.vireo.vswitch.core.DnsSpec;
import io.vireo.vswitch.core.ServiceSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import static io.vireo.vswitch.cli.Vireoctl.message;
import static io.vireo.vswitch.cli.Vireoctl.text;

/** {@code vireoctl service}: a router's load-balanced services and their backends. */
@Command(name = "service", description = "A router's load-balanced services: a virtual address whose connections go to backends.",
    mixinStandardHelpOptions = true, subcommands = {ServiceCommand.BackendCommand.class, ServiceCommand.DnsCommand.class})
final class ServiceCommand
{
    @ParentCommand
    Vireoctl root;

    @Command(name = "add", description = "Add a service: new connections to VIP go to one of its backends, picked by the "
        + "algorithm, and stay there.")
    int add(
        @Parameters(index = "0", paramLabel = "ROUTER") final String router,
        @Parameters(index = "1", paramLabel = "NAME", description = "a DNS label; the service answers as NAME.<domain>") final String name,
        @Option(names = "--vip", required = true, paramLabel = "IP:PORT") final String vip,
        @Option(names = "--proto", paramLabel = "tcp|udp", description = "default tcp") final String protocol,
        @Option(names = "--algorithm", paramLabel = "ALG", description = "rr (default), wrr, least-conn, source-hash or maglev")
        final String algorithm,
        @Option(names = "--from-registry", paramLabel = "SERVICE", arity = "0..1", fallbackValue = "",
            description = "take backends from the registry's instances of SERVICE too (default: NAME)") final String registry,
        @Option(names = "--backend", paramLabel = "IP:PORT[/WEIGHT]", description = "a backend; repeat for more")
        final List<String> backends,
        @Option(names = "--no-health", description = "never probe: every backend is always in selection") final boolean noHealth,
        @Option(names = "--probe-interval", paramLabel = "MS", description = "between probes of a backend (default 2000)")
        final Long interval,
        @Option(names = "--probe-timeout", paramLabel = "MS", description = "a probe's wait for its answer (default 1000)")
        final Long timeout,
        @Option(names = "--rise", paramLabel = "N", description = "successes that bring a backend back (default 2)") final Integer rise,
        @Option(names = "--fall", paramLabel = "N", description = "failures that take it out (default 3)") final Integer fall,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        final ServiceSpec.HealthCheck health = !noHealth && null == interval && null == timeout && null == rise && null == fall ?
            null : new ServiceSpec.HealthCheck(noHealth ? Boolean.FALSE : null, interval, timeout, rise, fall);
        final List<ServiceSpec.BackendSpec> parsed = null == backends ? List.of() : backends.stream().map(ServiceCommand::backend).toList();
        final String registryName = null == registry ? null : registry.isEmpty() ? name : registry;
        return root.call("POST", "/v1/routers/" + router + "/services",
            new ServiceSpec(name, vip, protocol, algorithm, registryName, health, parsed), json,
            message("service " + name + " added to " + router));
    }

    @Command(name = "del", description = "Delete a service; its connections end.")
    int del(
        @Parameters(index = "0", paramLabel = "ROUTER") final String router,
        @Parameters(index = "1", paramLabel = "NAME") final String name,
        @Option(names = "--json") final boolean json) throws JsonProcessingException
    {
        return root.call("DELETE", "/v1/routers/" + router + "/services/" + name, null, json,
            message("service " + name + " deleted from " + router));
    }

    @Command(name = "list", description = "List a router's services with each backend's state, open and total "
        + "connections, packets and bytes.")
    int list(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
        throws JsonProcessingException
    {
        return root.call("GET", "/v1/routers/" + router + "/services", null, json, (node, out) ->
        {
            final Vireoctl.Table table = new Vireoctl.Table("SERVICE", "VIP", "PROTO", "ALGORITHM", "BACKEND", "WEIGHT", "SOURCE",
                "STATE", "OPEN", "CONNECTIONS", "PACKETS", "BYTES");
            for (final JsonNode service : node.get("services"))
            {
                if (service.get("backends").isEmpty())
                {
                    table.row(text(service, "name"), text(service, "vip"), text(service, "protocol"), text(service, "algorithm"),
                        "-", "-", "-", "-", "-", "-", "-", "-");
                }
                for (final JsonNode backend : service.get("backends"))
                {
                    table.row(text(service, "name"), text(service, "vip"), text(service, "protocol"), text(service, "algorithm"),
                        text(backend, "address"), text(backend, "weight"), text(backend, "source"), text(backend, "state"),
                        text(backend, "open"), text(backend, "connections"), text(backend, "packets"), text(backend, "bytes"));
                }
            }
            table.print(out);
        });
    }

    private static ServiceSpec.BackendSpec backend(final String text)
    {
        final int slash = text.indexOf('/');
        if (slash < 0)
        {
            return new ServiceSpec.BackendSpec(text, null);
        }
        try
        {
            return new ServiceSpec.BackendSpec(text.substring(0, slash), Integer.valueOf(text.substring(slash + 1)));
        }
        catch (final NumberFormatException ex)
        {
            throw new IllegalArgumentException("invalid weight in --backend " + text);
        }
    }

    /** {@code vireoctl service dns}: the router's DNS server, which answers for its services' names. */
    @Command(name = "dns", description = "A router's DNS server: it answers NAME.<domain> for its services and the "
        + "registry's on port 53 of its addresses.", mixinStandardHelpOptions = true)
    static final class DnsCommand
    {
        @ParentCommand
        ServiceCommand service;

        @Command(name = "set", description = "Change the DNS server's settings; those left out stay.")
        int set(
            @Parameters(index = "0", paramLabel = "ROUTER") final String router,
            @Option(names = "--domain", paramLabel = "DOMAIN", description = "default svc.vireo") final String domain,
            @Option(names = "--ttl", paramLabel = "SECONDS", description = "of every record; default 5") final Integer ttl,
            @Option(names = "--upstream", paramLabel = "IP[:PORT]",
                description = "where names outside the domain go (\"\" for nowhere: refused)") final String upstream,
            @Option(names = "--enabled", paramLabel = "true|false", arity = "1") final Boolean enabled,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return service.root.call("PUT", "/v1/routers/" + router + "/dns", new DnsSpec(enabled, domain, ttl, upstream), json,
                (node, out) -> out.println("router " + router + " DNS: " + describe(node)));
        }

        @Command(name = "show", description = "Show the DNS server's settings and the queries it answered, by outcome.")
        int show(@Parameters(paramLabel = "ROUTER") final String router, @Option(names = "--json") final boolean json)
            throws JsonProcessingException
        {
            return service.root.call("GET", "/v1/routers/" + router + "/dns", null, json, (node, out) ->
            {
                out.println("router " + router + " DNS: " + describe(node.get("dns")));
                node.get("queries").fields().forEachRemaining(entry -> out.println("  " + entry.getKey() + " " + entry.getValue()));
            });
        }

        private static String describe(final JsonNode dns)
        {
            return (dns.get("enabled").asBoolean() ? "on" : "off") + ", domain " + text(dns, "domain") + ", ttl " + text(dns, "ttl") +
                " s, upstream " + text(dns, "upstream");
        }
    }

    /** {@code vireoctl service backend}: a service's static backends. */
    @Command(name = "backend", description = "Add or delete a service's backends.", mixinStandardHelpOptions = true)
    static final class BackendCommand
    {
        @ParentCommand
        ServiceCommand service;

        @Command(name = "add", description = "Add a backend; it takes new connections from now on.")
        int add(
            @Parameters(index = "0", paramLabel = "ROUTER") final String router,
            @Parameters(index = "1", paramLabel = "SERVICE") final String name,
            @Parameters(index = "2", paramLabel = "IP:PORT") final String address,
            @Option(names = "--weight", paramLabel = "W", description = "1..1000, default 1") final Integer weight,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return service.root.call("POST", "/v1/routers/" + router + "/services/" + name + "/backends",
                new ServiceSpec.BackendSpec(address, weight), json, message("backend " + address + " added to " + name));
        }

        @Command(name = "del", description = "Delete a backend: its connections end, no other connection moves.")
        int del(
            @Parameters(index = "0", paramLabel = "ROUTER") final String router,
            @Parameters(index = "1", paramLabel = "SERVICE") final String name,
            @Parameters(index = "2", paramLabel = "IP:PORT") final String address,
            @Option(names = "--json") final boolean json) throws JsonProcessingException
        {
            return service.root.call("DELETE", "/v1/routers/" + router + "/services/" + name + "/backends/" + address, null,
                json, message("backend " + address + " deleted from " + name));
        }
    }
}
