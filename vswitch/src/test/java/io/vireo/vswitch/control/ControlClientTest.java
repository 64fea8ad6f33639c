package io.vireo.vswitch.control;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** vireoctl's side of the control socket against a real server on a unix socket. */
class ControlClientTest
{
    @TempDir
    Path dir;

    /** A connection list of about 600,000 entries is this large: a limit of 64 MB refused it. */
    @Test
    void aResponseLargerThanSixtyFourMegabytesArrivesWhole()
    {
        final String body = "[" + "0123456789".repeat(8 << 20) + "]";
        try (DomainSocketHttpServer server = DomainSocketHttpServer.start(dir.resolve("control.sock"),
            (ctx, request) -> HttpResponder.respond(ctx, false, 200, "application/json", body)))
        {
            final ControlApi.Response response = ControlClient.request(server.socketPath(), "GET", "/v1/routers", null);

            assertEquals(200, response.status());
            assertEquals(body.length(), response.body().length());
            assertTrue(response.body().equals(body), "the body arrived changed");
        }
    }
}
