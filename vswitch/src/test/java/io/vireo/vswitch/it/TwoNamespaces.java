package io.vireo.vswitch.it;

/**
 * What several integration tests start from: a daemon with namespaces A and B on TAP ports of
 * {@code br0}, addresses {@code <subnet>.1/24} and {@code <subnet>.2/24}.
 */
record TwoNamespaces(Daemon daemon, String nsA, String nsB, String tapA, String tapB)
{
    static TwoNamespaces start(final Sandbox sandbox, final String subnet, final String... daemonOptions) throws Exception
    {
        final Daemon daemon = Daemon.start(sandbox, sandbox.tempDir("run"), daemonOptions);
        final String nsA = sandbox.namespace("a");
        final String nsB = sandbox.namespace("b");
        final String tapA = sandbox.ifname("tA");
        final String tapB = sandbox.ifname("tB");
        daemon.ok("port", "add", "br0", tapA, "--netns", nsA, "--ip", subnet + ".1/24");
        daemon.ok("port", "add", "br0", tapB, "--netns", nsB, "--ip", subnet + ".2/24");
        return new TwoNamespaces(daemon, nsA, nsB, tapA, tapB);
    }
}
