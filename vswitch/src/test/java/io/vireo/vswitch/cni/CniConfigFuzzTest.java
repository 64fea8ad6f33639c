package io.vireo.vswitch.cni;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.registry.ServiceRegistry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The CNI plugin's decoders of what the runtime gives it, over arbitrary input: the network configuration
 * (the input is the bytes on stdin) and {@code CNI_ARGS} (the input as UTF-8).
 * <p>
 * A configuration is decoded and checked ({@link NetworkConfig#decode}, {@link NetworkConfig#parse}) into a
 * config or a {@link CniException}, nothing else: an exception has a code of the spec's table and a message of
 * one line (the plugin's reason on stderr); a config has a supported version, a name, an absolute run dir, an
 * IPAM plugin named by a file name if any, an MTU of 68..65535 if any, port mappings of tcp or udp between ports
 * 1..65535, services with valid names and ports, each once, and positive bandwidth limits.
 * {@link NetworkConfig#tryDecode} decodes what decode does.
 * The plugin itself, run as DEL with no container id, reports the same as the spec's error object: exit
 * status 1, and on stdout the version the config declares (else the latest), the code (4, the missing id, for
 * a good config) and the message, which is the line on stderr; no daemon is asked.
 * <p>
 * {@code CNI_ARGS} ({@link CniArgs#parse}) give a MAC that was one of the pairs, or a {@link CniException} of
 * code 4 (invalid environment) with a message of one line.
 */
class CniConfigFuzzTest
{
    private static final Set<Integer> SPEC_CODES = Set.of(CniException.INCOMPATIBLE_VERSION, CniException.UNSUPPORTED_FIELD,
        CniException.UNKNOWN_CONTAINER, CniException.INVALID_ENVIRONMENT, CniException.IO_FAILURE,
        CniException.DECODING_FAILURE, CniException.INVALID_CONFIG, CniException.TRY_AGAIN_LATER);
    private static final int MIN_MTU = 68;
    private static final int MAX_MTU = 65_535;
    private static final int MAX_PORT = 65_535;
    private static final ObjectMapper JSON = new ObjectMapper();

    // A fuzzing run (JAZZER_FUZZ=1) stays under the 60 s JUnit timeout the build sets; regression runs only the inputs.
    @FuzzTest(maxDuration = "50s")
    void configIsParsedOrRefusedWithASpecCode(final byte[] stdin)
    {
        // A good config gets as far as the missing container id.
        int reported = CniException.INVALID_ENVIRONMENT;
        try
        {
            final JsonNode root = NetworkConfig.decode(stdin);
            assertEquals(root, NetworkConfig.tryDecode(stdin), "tryDecode decodes what decode does");
            isValid(NetworkConfig.parse(root));
        }
        catch (final CniException ex)
        {
            isSpecError(ex);
            reported = ex.code();
            if (CniException.DECODING_FAILURE == reported)
            {
                assertNull(NetworkConfig.tryDecode(stdin), "tryDecode refuses what decode refuses");
            }
        }
        pluginReports(stdin, reported);
    }

    @FuzzTest(maxDuration = "50s")
    void argsAreParsedOrRefusedAsAnInvalidEnvironment(final byte[] input)
    {
        final String text = new String(input, StandardCharsets.UTF_8);
        try
        {
            final String mac = CniArgs.parse(text).mac();
            assertTrue(null == mac || List.of(text.split(";")).contains("MAC=" + mac), () -> mac + " from " + text);
        }
        catch (final CniException ex)
        {
            isSpecError(ex);
            assertEquals(CniException.INVALID_ENVIRONMENT, ex.code(), ex::getMessage);
        }
    }

    private static void isValid(final NetworkConfig config)
    {
        assertTrue(NetworkConfig.SUPPORTED_VERSIONS.contains(config.cniVersion()), config::toString);
        assertTrue(!config.name().isEmpty() && null != config.bridge() && null != config.router(), config::toString);
        assertTrue(config.controlSocket().isAbsolute(), config::toString);
        // What DelegatedIpam looks for in each directory of CNI_PATH.
        assertTrue(null == config.ipamType() || 1 == Path.of(config.ipamType()).getNameCount(), config::toString);
        assertTrue(null == config.mtu() || config.mtu() >= MIN_MTU && config.mtu() <= MAX_MTU, config::toString);
        for (final NetworkConfig.PortMapping mapping : config.portMappings())
        {
            assertTrue(isPort(mapping.hostPort()) && isPort(mapping.containerPort()), config::toString);
            assertTrue(Set.of("tcp", "udp").contains(mapping.protocol()), config::toString);
        }
        assertEquals(config.services().size(), config.services().stream().map(NetworkConfig.Service::name).distinct().count(),
            config::toString);
        for (final NetworkConfig.Service service : config.services())
        {
            ServiceRegistry.checkService(service.name());
            assertTrue(isPort(service.port()), config::toString);
        }
        final NetworkConfig.Bandwidth bandwidth = config.bandwidth();
        assertTrue(Stream.of(bandwidth.ingressRate(), bandwidth.ingressBurst(), bandwidth.egressRate(), bandwidth.egressBurst())
            .allMatch(limit -> null == limit || limit > 0), config::toString);
    }

    private static void isSpecError(final CniException ex)
    {
        assertTrue(SPEC_CODES.contains(ex.code()), () -> ex.code() + ": " + ex.getMessage());
        assertNotNull(ex.getMessage());
        assertTrue(!ex.getMessage().isBlank() && ex.getMessage().indexOf('\n') < 0 && ex.getMessage().indexOf('\r') < 0,
            () -> "a message of one line: " + ex.getMessage());
    }

    /** VireoCni's DEL with no container id: the spec's error object with {@code code}, the reason on stderr. */
    private static void pluginReports(final byte[] stdin, final int code)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int exit = VireoCni.run(Map.of("CNI_COMMAND", "DEL"), new ByteArrayInputStream(stdin),
            new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
            socket -> (method, path, body) -> fail("no daemon is asked: " + method + " " + path));
        final JsonNode error = json(out.toString(StandardCharsets.UTF_8));
        assertEquals(1, exit, error::toString);
        assertEquals(code, error.path("code").asInt(), error::toString);
        final String declared = NetworkConfig.declaredVersion(NetworkConfig.tryDecode(stdin));
        assertEquals(null == declared ? NetworkConfig.LATEST_VERSION : declared, error.path("cniVersion").asText(), error::toString);
        assertTrue(error.path("msg").isTextual(), error::toString);
        assertEquals("vireo-cni: " + error.get("msg").asText() + "\n", err.toString(StandardCharsets.UTF_8), "one line on stderr");
    }

    private static JsonNode json(final String text)
    {
        try
        {
            return JSON.readTree(text);
        }
        catch (final IOException ex)
        {
            return fail("stdout is not JSON: " + text, ex);
        }
    }

    private static boolean isPort(final int port)
    {
        return port >= 1 && port <= MAX_PORT;
    }
}
