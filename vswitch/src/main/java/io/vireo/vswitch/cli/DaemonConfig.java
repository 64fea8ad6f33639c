package io.vireo.vswitch.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vireo.vswitch.core.TapPortSpec;
import io.vireo.vswitch.core.Vireo;

/**
 * The switch {@code vireod --config FILE} builds at start (YAML, or JSON which is YAML too):
 * <pre>
 * agingSeconds: 300          # default for bridges that do not say
 * bridges:
 *   - name: br0
 *     agingSeconds: 60
 *     ports:
 *       - name: tapA
 *         type: tap
 *         netns: ns1
 *         ip: 10.0.0.1/24
 *         mac: 02:00:00:00:00:01
 *         mtu: 1500
 *         offloads: true     # default: the daemon's (on)
 *       - name: vm1
 *         type: vhost-user
 *         socket: /run/vireo/vm1.sock
 *         client: false
 * </pre>
 */
record DaemonConfig(Long agingSeconds, List<BridgeConfig> bridges)
{
    record BridgeConfig(String name, Long agingSeconds, List<PortConfig> ports)
    {
    }

    record PortConfig(String name, String type, String netns, String ip, String mac, Integer mtu, Boolean offloads,
        String socket, Boolean client)
    {
    }

    /** With no config: one bridge, {@code br0}, no ports. */
    static DaemonConfig embeddedDefault()
    {
        return new DaemonConfig(null, List.of(new BridgeConfig("br0", null, List.of())));
    }

    static DaemonConfig load(final Path file)
    {
        final ObjectMapper yaml = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        try
        {
            final DaemonConfig config = yaml.readValue(file.toFile(), DaemonConfig.class);
            if (null == config)
            {
                throw new IllegalArgumentException("config " + file + " is empty");
            }
            return config;
        }
        catch (final IOException ex)
        {
            throw new IllegalArgumentException("cannot read config " + file + ": " + ex.getMessage().lines().findFirst().orElse(""), ex);
        }
    }

    void applyTo(final Vireo vireo)
    {
        if (null == bridges)
        {
            return;
        }
        for (final BridgeConfig bridge : bridges)
        {
            vireo.addBridge(bridge.name(), bridge.agingSeconds());
            for (final PortConfig port : null == bridge.ports() ? List.<PortConfig>of() : bridge.ports())
            {
                if ("vhost-user".equals(port.type()))
                {
                    vireo.addVhostUserPort(bridge.name(), port.name(),
                        null == port.socket() ? null : Path.of(port.socket()), Boolean.TRUE.equals(port.client()));
                }
                else if (null == port.type() || "tap".equals(port.type()))
                {
                    vireo.addTapPort(bridge.name(),
                        new TapPortSpec(port.name(), port.netns(), port.ip(), port.mac(), port.mtu(), port.offloads()));
                }
                else
                {
                    throw new IllegalArgumentException("port " + port.name() + ": unsupported type '" + port.type() +
                        "'; supported: tap, vhost-user");
                }
            }
        }
    }
}
