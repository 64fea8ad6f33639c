package io.vireo.vswitch.docker;

import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vireo.vswitch.control.ControlApi;

/** The plugin protocol's JSON: requests decoded and checked, answers and errors written. */
final class DriverMessages
{
    static final ObjectMapper JSON = new ObjectMapper();

    private static final Pattern DOCKER_ID = Pattern.compile("[0-9A-Za-z]{12,128}");

    private DriverMessages()
    {
    }

    static JsonNode request(final String body)
    {
        if (null == body || body.isBlank())
        {
            throw new BadRequest("the request has no body; expected a JSON object");
        }
        try
        {
            final JsonNode request = JSON.readTree(body);
            if (null == request || !request.isObject())
            {
                throw new BadRequest("the request body is not a JSON object");
            }
            return request;
        }
        catch (final JsonProcessingException ex)
        {
            throw new BadRequest("malformed JSON: " + ex.getOriginalMessage());
        }
    }

    static String id(final JsonNode request, final String field)
    {
        final String id = text(request, field);
        if (null == id || !DOCKER_ID.matcher(id).matches())
        {
            throw new BadRequest(field + " must be a Docker id (12 to 128 letters and digits), not " + request.get(field));
        }
        return id;
    }

    /** A string field; null when absent, null or empty, as Go's encoder writes unset strings. */
    static String text(final JsonNode node, final String field)
    {
        final JsonNode value = node.get(field);
        return null == value || !value.isTextual() || value.asText().isEmpty() ? null : value.asText();
    }

    static ControlApi.Response ok(final JsonNode answer)
    {
        return new ControlApi.Response(200, answer.toString());
    }

    static ControlApi.Response error(final int status, final String message)
    {
        return new ControlApi.Response(status, JSON.createObjectNode().put("Err", message).toString());
    }

    /** The request cannot be decoded: 400. */
    static final class BadRequest extends RuntimeException
    {
        private static final long serialVersionUID = 1L;

        BadRequest(final String message)
        {
            super(message);
        }
    }
}
