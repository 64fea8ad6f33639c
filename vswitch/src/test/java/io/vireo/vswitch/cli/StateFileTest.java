package io.vireo.vswitch.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import io.vireo.vswitch.control.ControlApi;
import io.vireo.vswitch.core.ThreadingMode;
import io.vireo.vswitch.core.Vireo;
import io.vireo.vswitch.core.VireoContext;
import io.vireo.vswitch.registry.ServiceRegistry;
import org.agrona.LangUtil;
import org.agrona.concurrent.SystemNanoClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Changes made through the control API reach the config file, atomically, and only when it would change. */
class StateFileTest
{
    @TempDir
    Path dir;

    private final ByteArrayOutputStream log = new ByteArrayOutputStream();
    private final ServiceRegistry registry =
        new ServiceRegistry(SystemNanoClock.INSTANCE, Runnable::run, LangUtil::rethrowUnchecked);
    private Path file;
    private Vireo vireo;
    private ControlApi api;

    @BeforeEach
    void setUp()
    {
        file = dir.resolve("switch.yaml");
        vireo = Vireo.launch(new VireoContext().threadingMode(ThreadingMode.INVOKER).fdbCapacity(1024));
        vireo.addBridge("br0", null);
    }

    @AfterEach
    void tearDown()
    {
        vireo.close();
    }

    private void open() throws Exception
    {
        api = new ControlApi(vireo, registry,
            StateFile.open(file, vireo, registry, null, null, new PrintStream(log, true, StandardCharsets.UTF_8)));
    }

    private void assertStatus(final int status, final ControlApi.Response response)
    {
        assertEquals(status, response.status(), response.body());
    }

    private List<String> savedBridges()
    {
        return DaemonConfig.load(file).bridges().stream().map(DaemonConfig.BridgeConfig::name).toList();
    }

    private List<Path> filesInDir() throws Exception
    {
        try (Stream<Path> files = Files.list(dir))
        {
            return files.toList();
        }
    }

    @Test
    void changesAreSavedAndTheFileKeepsItsMode() throws Exception
    {
        Files.writeString(file, "bridges: [{name: br0}]\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r-----"));
        open();

        assertStatus(201, api.handle("POST", "/v1/bridges", "{\"name\":\"br1\",\"agingSeconds\":60}"));
        assertEquals(List.of("br0", "br1"), savedBridges());
        assertStatus(201, api.handle("POST", "/v1/policy/br1", "{\"action\":\"deny\",\"protocol\":\"udp\"}"));
        assertStatus(200, api.handle("PUT", "/v1/policy/br1/default", "{\"action\":\"deny\"}"));
        final DaemonConfig.BridgeConfig br1 = DaemonConfig.load(file).bridges().get(1);
        assertEquals(List.of(60L, "deny", "udp"), List.of(br1.agingSeconds(), br1.defaultPolicy(), br1.policies().get(0).protocol()));
        assertStatus(200, api.handle("DELETE", "/v1/bridges/br0", null));
        assertEquals(List.of("br1"), savedBridges());

        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        assertEquals(List.of(file), filesInDir(), "no temporary file left");
        assertEquals("", log.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aMissingFileIsCreatedAndOnlyChangesToWhatItHoldsRewriteIt() throws Exception
    {
        open();
        assertEquals(List.of("br0"), savedBridges());
        assertEquals("vireod: created " + file + "\n", log.toString(StandardCharsets.UTF_8));
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));

        Files.delete(file);
        final String dockerPort = "{\"bridge\":\"br0\",\"name\":\"vd0123456789ab\",\"type\":\"vhost-user\",\"socket\":\"" +
            dir.resolve("c.sock") + "\",\"owner\":\"docker\"}";
        assertStatus(201, api.handle("POST", "/v1/ports", dockerPort));
        assertStatus(200, api.handle("GET", "/v1/bridges", null));
        assertStatus(409, api.handle("POST", "/v1/bridges", "{\"name\":\"br0\"}"));
        assertStatus(200, api.handle("DELETE", "/v1/ports/vd0123456789ab", null));
        assertFalse(Files.exists(file), "reads, refusals and a container's port leave the file alone");

        assertStatus(201, api.handle("POST", "/v1/bridges", "{\"name\":\"br1\"}"));
        assertEquals(List.of("br0", "br1"), savedBridges());
    }

    @Test
    void theApiAsksForASaveAfterEachChangeItMadeAndAfterNothingElse()
    {
        final AtomicInteger saves = new AtomicInteger();
        api = new ControlApi(vireo, saves::incrementAndGet);

        assertStatus(200, api.handle("GET", "/v1/bridges", null));
        assertStatus(409, api.handle("POST", "/v1/bridges", "{\"name\":\"br0\"}"));
        assertStatus(404, api.handle("DELETE", "/v1/policy/br0/7", null));
        assertEquals(0, saves.get());
        assertStatus(201, api.handle("POST", "/v1/policy/br0", "{\"action\":\"deny\"}"));
        assertStatus(200, api.handle("PUT", "/v1/policy/br0/default", "{\"action\":\"deny\"}"));
        assertStatus(200, api.handle("DELETE", "/v1/bridges/br0", null));
        assertEquals(3, saves.get());
    }

    @Test
    void anOperatorsInstanceWithNoLeaseIsSavedAndOneWithALeaseOrAContainersIsNot() throws Exception
    {
        open();
        final String before = Files.readString(file);
        assertStatus(201, api.handle("POST", "/v1/registry/web", "{\"id\":\"web-2\",\"address\":\"10.0.0.6\",\"port\":80}"));
        assertStatus(201, api.handle("POST", "/v1/registry/web", "{\"id\":\"c1:eth0\",\"address\":\"10.0.0.7\"," +
            "\"port\":80,\"leaseSeconds\":0,\"owner\":\"cni:vc0123456789ab\"}"));
        assertEquals(before, Files.readString(file));

        assertStatus(201, api.handle("POST", "/v1/registry/web",
            "{\"id\":\"web-1\",\"address\":\"10.0.0.5\",\"port\":80,\"leaseSeconds\":0}"));
        assertEquals(List.of("web-1"), DaemonConfig.load(file).registry().stream().map(DaemonConfig.InstanceConfig::id).toList());
        assertStatus(200, api.handle("DELETE", "/v1/registry/web/web-1", null));
        assertEquals(List.of(), DaemonConfig.load(file).registry());
    }

    @Test
    void aChangeThatCannotBeSavedIsMadeAndTheClientAndTheLogAreTold() throws Exception
    {
        open();
        Files.delete(file);
        Files.createDirectory(file); // nothing can be renamed over a directory

        final ControlApi.Response response = api.handle("POST", "/v1/bridges", "{\"name\":\"br1\"}");

        assertStatus(500, response);
        assertTrue(response.body().contains("done, but not saved to " + file + ": "), response.body());
        assertEquals(2, vireo.bridges().size(), "the change itself was made");
        assertTrue(log.toString(StandardCharsets.UTF_8).contains("vireod: not saved to " + file + ": "), log::toString);
        assertEquals(List.of(file), filesInDir(), "no temporary file left");
    }
}
