package io.vireo.vswitch.it;

import java.nio.file.Path;

/** {@code scripts/vireo-docker}, the Docker network driver, serving {@code socket} for a daemon. */
final class DockerDriver
{
    private DockerDriver()
    {
    }

    /** Starts the driver (stopped when the sandbox closes) and waits until it serves. */
    static Process start(final Sandbox sandbox, final Daemon daemon, final Path socket, final Path state) throws Exception
    {
        final Path log = sandbox.tempFile(".vireo-docker.log");
        final Process process = sandbox.start(log, Daemon.ROOT.resolve("scripts/vireo-docker").toString(),
            "--run-dir", daemon.runDir.toString(), "--socket", socket.toString(), "--state", state.toString());
        TapForwardingIT.waitFor(() ->
        {
            if (!process.isAlive())
            {
                throw new AssertionError("vireo-docker exited " + process.exitValue() + ": " + Sandbox.readUtf8(log));
            }
            return Sandbox.readUtf8(log).contains("vireo-docker: ready");
        }, "vireo-docker ready");
        return process;
    }
}
