package io.vireo.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Asks an etcd member's {@code /health}: over HTTP from here, or from inside its network namespace. */
final class EtcdHealth
{
    private final HttpClient http = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(2))
        .build();

    /**
     * @param netns the member's network namespace, or null.
     * @return true if {@code /health} answers true now (it runs and has a leader).
     */
    boolean isHealthy(final URI clientUrl, final String netns)
    {
        try
        {
            final String body;
            if (netns == null)
            {
                final HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(clientUrl + "/health")).timeout(Duration.ofSeconds(5)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
                body = response.statusCode() == 200 ? response.body() : "";
            }
            else
            {
                body = healthInNamespace(clientUrl, netns);
            }
            return body.replace(" ", "").contains("\"health\":\"true\"");
        }
        catch (final IOException ex)
        {
            return false;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** GET /health from inside the namespace, with bash's /dev/tcp (no curl needed). */
    private static String healthInNamespace(final URI clientUrl, final String netns) throws IOException, InterruptedException
    {
        final String script = "exec 3<>/dev/tcp/" + clientUrl.getHost() + "/" + clientUrl.getPort() +
            " && printf 'GET /health HTTP/1.0\\r\\nHost: etcd\\r\\n\\r\\n' >&3 && timeout 5 cat <&3";
        final Process probe = new ProcessBuilder("ip", "netns", "exec", netns, "bash", "-c", script)
            .redirectErrorStream(true)
            .start();
        final byte[] out = probe.getInputStream().readAllBytes();
        if (!probe.waitFor(10, TimeUnit.SECONDS))
        {
            probe.destroyForcibly();
        }
        return new String(out, StandardCharsets.UTF_8);
    }
}
