package io.vireo.vswitch.cni;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code CNI_ARGS}: {@code KEY=VALUE} pairs separated by {@code ;}, as runtimes pass them (podman:
 * {@code IgnoreUnknown=1;MAC=02:...}; Kubernetes: {@code K8S_POD_NAMESPACE=...}). As libcni's plugins do, a
 * key this plugin does not know is an error unless {@code IgnoreUnknown} is {@code 1} or {@code true}.
 * Vireo reads {@code MAC} (the container's MAC, unless the config's {@code runtimeConfig.mac} gives one);
 * {@code IP} is the IPAM plugin's (host-local reads it from the environment).
 */
record CniArgs(String mac)
{
    private static final List<String> KNOWN = List.of("IgnoreUnknown", "MAC", "IP",
        "K8S_POD_NAMESPACE", "K8S_POD_NAME", "K8S_POD_INFRA_CONTAINER_ID", "K8S_POD_UID");

    /** @throws CniException code 4 (invalid environment) for a malformed pair or an unknown key. */
    static CniArgs parse(final String text)
    {
        final Map<String, String> pairs = new LinkedHashMap<>();
        if (null != text && !text.isEmpty())
        {
            for (final String pair : text.split(";"))
            {
                final int equals = pair.indexOf('=');
                if (equals <= 0)
                {
                    throw new CniException(CniException.INVALID_ENVIRONMENT,
                        "CNI_ARGS must be KEY=VALUE pairs separated by ';', not '" + text + "'");
                }
                pairs.put(pair.substring(0, equals), pair.substring(equals + 1));
            }
        }
        final String ignoreUnknown = pairs.getOrDefault("IgnoreUnknown", "");
        if (!"1".equals(ignoreUnknown) && !"true".equalsIgnoreCase(ignoreUnknown))
        {
            for (final String key : pairs.keySet())
            {
                if (!KNOWN.contains(key))
                {
                    throw new CniException(CniException.INVALID_ENVIRONMENT, "unknown CNI_ARGS key " + key +
                        " (vireo reads MAC; add IgnoreUnknown=1 to pass others)");
                }
            }
        }
        final String mac = pairs.get("MAC");
        return new CniArgs(null == mac || mac.isEmpty() ? null : mac);
    }
}
