package io.vireo.cluster.etcd;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An endpoint that answers as the test says, on a free loopback port: for the cases a real etcd gives only by
 * chance (an "unavailable" answer, a slow answer, a stream that ends after given lines). Records every request.
 */
final class FakeGateway implements AutoCloseable
{
    /** A request as it came: the path and its JSON body. */
    record Request(String path, JsonNode body)
    {
    }

    /** Answers one request. */
    interface Handler
    {
        void handle(JsonNode body, HttpExchange exchange) throws IOException, InterruptedException;
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Handler> handlers = new ConcurrentHashMap<>();
    final List<Request> requests = new CopyOnWriteArrayList<>();

    FakeGateway() throws IOException
    {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        executor = Executors.newCachedThreadPool(runnable ->
        {
            final Thread thread = new Thread(runnable, "fake-gateway");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/", this::dispatch);
        server.start();
    }

    URI url()
    {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    FakeGateway on(final String path, final Handler handler)
    {
        handlers.put(path, handler);
        return this;
    }

    /** Answers every request to {@code path} with {@code status} and {@code json}. */
    FakeGateway answer(final String path, final int status, final String json)
    {
        return on(path, (body, exchange) -> reply(exchange, status, json));
    }

    List<Request> requests(final String path)
    {
        return requests.stream().filter(request -> request.path().equals(path)).toList();
    }

    static void reply(final HttpExchange exchange, final int status, final String json) throws IOException
    {
        final byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody())
        {
            out.write(bytes);
        }
    }

    /** Starts a streamed answer (chunked), as the gateway's watch. */
    static OutputStream startStream(final HttpExchange exchange) throws IOException
    {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        return exchange.getResponseBody();
    }

    /** Writes one line of a streamed answer and sends it at once. */
    static void line(final OutputStream out, final String json) throws IOException
    {
        out.write((json + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private void dispatch(final HttpExchange exchange) throws IOException
    {
        try
        {
            final JsonNode body = GatewayJson.MAPPER.readTree(exchange.getRequestBody().readAllBytes());
            final String path = exchange.getRequestURI().getPath();
            requests.add(new Request(path, body));
            final Handler handler = handlers.get(path);
            if (handler == null)
            {
                reply(exchange, 404, "{\"error\":\"Not Found\",\"code\":5,\"message\":\"Not Found\"}");
                return;
            }
            handler.handle(body, exchange);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            exchange.close();
        }
    }

    /**
     * A loopback URL nothing listens on: connecting is refused. Take it after the test's gateways are listening,
     * or one of them may be given the same port.
     */
    static URI closedPort() throws IOException
    {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress()))
        {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
    }

    @Override
    public void close()
    {
        server.stop(0);
        executor.shutdownNow();
    }
}
