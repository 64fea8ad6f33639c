package io.vireo.vswitch.docker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/** The requests Docker sends, from {@code src/test/resources/docker/}, with the test's own ids filled in. */
public final class DockerFixtures
{
    private DockerFixtures()
    {
    }

    /** The body of {@code docker/NAME.json} with each {@code {{KEY}}} replaced. */
    public static String request(final String name, final Map<String, String> values)
    {
        try (InputStream in = DockerFixtures.class.getResourceAsStream("/docker/" + name + ".json"))
        {
            if (null == in)
            {
                throw new IllegalStateException("no fixture docker/" + name + ".json");
            }
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            for (final Map.Entry<String, String> value : values.entrySet())
            {
                body = body.replace("{{" + value.getKey() + "}}", value.getValue());
            }
            if (body.contains("{{"))
            {
                throw new IllegalStateException("fixture docker/" + name + " has a placeholder left: " + body);
            }
            return body;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    /** A random 64-digit hex id, as Docker makes network and endpoint ids. */
    public static String dockerId()
    {
        final StringBuilder id = new StringBuilder();
        while (id.length() < 64)
        {
            id.append(String.format("%016x", ThreadLocalRandom.current().nextLong()));
        }
        return id.toString();
    }
}
