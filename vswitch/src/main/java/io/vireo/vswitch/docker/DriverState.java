package io.vireo.vswitch.docker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The Docker networks and endpoints the driver serves, kept in a JSON file so that a restarted driver still
 * knows them: Docker sends CreateNetwork once, when the network is made, and never again (not after a
 * reboot either), so the file belongs somewhere that survives one, such as /var/lib/vireo. Every change is
 * written at once (to a temporary file, then renamed over the old one).
 */
final class DriverState
{
    /**
     * A Docker network: the Vireo bridge it uses, whether the driver made that bridge, MTU, gateways (bare
     * addresses, as Join answers them), and the router that answers them: its name, the gateway addresses
     * in CIDR notation and the IPv4 subnets it masquerades (null and empty for an internal network).
     */
    record Network(String id, String bridge, boolean ownsBridge, Integer mtu, String gateway, String gatewayIpv6,
        String router, List<String> gatewayAddresses, List<String> subnets)
    {
        Network
        {
            gatewayAddresses = null == gatewayAddresses ? List.of() : List.copyOf(gatewayAddresses);
            subnets = null == subnets ? List.of() : List.copyOf(subnets);
        }
    }

    /** A Docker endpoint: its network, the Vireo port (and TAP) name, MAC and addresses in CIDR notation. */
    record Endpoint(String id, String networkId, String port, String mac, String address, String addressIpv6)
    {
    }

    /** The file's layout. */
    record Snapshot(List<Network> networks, List<Endpoint> endpoints)
    {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Path file;
    private final Map<String, Network> networks = new LinkedHashMap<>();
    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();

    private DriverState(final Path file)
    {
        this.file = file;
    }

    /** State kept in memory only, gone when the driver stops. */
    static DriverState inMemory()
    {
        return new DriverState(null);
    }

    /**
     * Reads {@code file}, or starts empty if there is none yet.
     *
     * @throws IllegalStateException if the file cannot be read.
     */
    static DriverState load(final Path file)
    {
        final DriverState state = new DriverState(file);
        if (Files.exists(file))
        {
            try
            {
                final Snapshot snapshot = JSON.readValue(file.toFile(), Snapshot.class);
                snapshot.networks().forEach(network -> state.networks.put(network.id(), network));
                snapshot.endpoints().forEach(endpoint -> state.endpoints.put(endpoint.id(), endpoint));
            }
            catch (final IOException | RuntimeException ex)
            {
                throw new IllegalStateException("cannot read the driver state " + file + ": " + ex.getMessage(), ex);
            }
        }
        return state;
    }

    Network network(final String id)
    {
        return networks.get(id);
    }

    Endpoint endpoint(final String id)
    {
        return endpoints.get(id);
    }

    /** A network on this bridge, or null. */
    Network networkOnBridge(final String bridge)
    {
        return networks.values().stream().filter(network -> network.bridge().equals(bridge)).findFirst().orElse(null);
    }

    /** The endpoint whose port has this name, or null. */
    Endpoint endpointWithPort(final String port)
    {
        return endpoints.values().stream().filter(endpoint -> endpoint.port().equals(port)).findFirst().orElse(null);
    }

    void put(final Network network)
    {
        networks.put(network.id(), network);
        save();
    }

    void put(final Endpoint endpoint)
    {
        endpoints.put(endpoint.id(), endpoint);
        save();
    }

    /** Forgets a network and any endpoint still recorded on it. */
    void removeNetwork(final String id)
    {
        networks.remove(id);
        endpoints.values().removeIf(endpoint -> endpoint.networkId().equals(id));
        save();
    }

    void removeEndpoint(final String id)
    {
        endpoints.remove(id);
        save();
    }

    private void save()
    {
        if (null == file)
        {
            return;
        }
        try
        {
            final Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            final Path temporary = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
            try
            {
                JSON.writerWithDefaultPrettyPrinter().writeValue(temporary.toFile(),
                    new Snapshot(new ArrayList<>(networks.values()), new ArrayList<>(endpoints.values())));
                Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            finally
            {
                Files.deleteIfExists(temporary);
            }
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot write the driver state " + file + ": " + ex.getMessage(), ex);
        }
    }
}
