package io.vireo.cluster.etcd;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonParser;

/**
 * One watch over the gateway's {@code /v3/watch}: a streaming POST whose body is the create_request and whose
 * response is one JSON object a line, {@code {"result": WatchResponse}} or {@code {"error": {...}}}, for as long
 * as the stream lives (read here as a sequence of JSON values by one streaming parser, not line by line: a
 * catch-up message can hold a thousand revisions' events). Runs on a daemon thread of its own:
 * <pre>
 *   open the stream on an endpoint, from lastRevision + 1
 *   for each line:
 *     created                        the stream is up (tell connection(true) after a loss)
 *     compact_revision > 0           tell compacted(...), stop
 *     canceled, or an error line     the stream is lost
 *     events                         tell events(...); lastRevision = the last event's mod_revision
 *     none of these                  a progress notification: lastRevision = its header revision
 *   the stream ended or broke: tell connection(false) (once), wait 100 ms .. 2 s (doubling), next endpoint
 * </pre>
 * The request asks for the watch to be cancelled when its member loses its leader ({@code hasleader}
 * metadata, which the gateway passes on from the {@code Grpc-Metadata-} header), so a member cut off from
 * the others does not keep the watch silent; it then resumes on another member.
 * <p>
 * Why lastRevision follows events and not the header: while a watch catches up from an old revision etcd
 * sends the events in batches of up to 1000 revisions, each with the store's current revision in its header,
 * so the header may be ahead of what has come. A progress notification is only sent to a watch that has
 * caught up, so its header revision is one up to which everything has come. One revision's events are never
 * split over two responses.
 * <p>
 * {@link #close()} sets a flag, interrupts the thread (which wakes it from a blocked read of the response,
 * from waiting for its headers, or from the backoff) and closes the response stream.
 */
final class GatewayWatch implements EtcdClient.Watch, Runnable
{
    static final long FIRST_BACKOFF_MS = 100;
    static final long MAX_BACKOFF_MS = 2_000;

    private final EtcdClient client;
    private final byte[] prefix;
    private final EtcdClient.WatchListener listener;
    private final Thread thread;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final long fromRevision;
    private volatile long lastRevision;
    private volatile boolean closed;
    private volatile InputStream stream;
    /** The endpoint of the stream now or last tried. */
    private volatile URI endpoint;
    /** The listener was told connection(false) and not yet connection(true); the watch thread's own. */
    private boolean down;

    GatewayWatch(
        final EtcdClient client, final String threadName, final byte[] prefix, final long fromRevision,
        final EtcdClient.WatchListener listener)
    {
        this.client = client;
        this.prefix = prefix;
        this.listener = listener;
        this.fromRevision = Math.max(0, fromRevision);
        this.lastRevision = Math.max(0, fromRevision - 1);
        this.thread = new Thread(this, threadName);
        this.thread.setDaemon(true);
    }

    void start()
    {
        thread.start();
    }

    @Override
    public long lastRevision()
    {
        return lastRevision;
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        closing.countDown();
        thread.interrupt();
        closeStream();
        if (Thread.currentThread() != thread)
        {
            try
            {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
        client.removed(this);
    }

    /** For tests: the endpoint the stream is on, or was last tried on. */
    URI endpoint()
    {
        return endpoint;
    }

    /** For tests: the thread that runs the watch. */
    Thread thread()
    {
        return thread;
    }

    @Override
    public void run()
    {
        try
        {
            final List<URI> endpoints = client.transport().endpoints();
            int index = client.transport().currentIndex();
            long backoffMs = FIRST_BACKOFF_MS;
            boolean everCreated = false;
            while (!closed)
            {
                final Outcome outcome = stream(endpoints.get(index), !everCreated && fromRevision == 0);
                if (outcome == Outcome.COMPACTED || closed)
                {
                    return;
                }
                if (outcome == Outcome.LOST)
                {
                    everCreated = true;
                    backoffMs = FIRST_BACKOFF_MS;
                }
                if (!down)
                {
                    down = true;
                    listener.connection(false);
                }
                if (closing.await(backoffMs, TimeUnit.MILLISECONDS))
                {
                    return;
                }
                backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
                index = (index + 1) % endpoints.size();
            }
        }
        catch (final InterruptedException ex)
        {
            // closed
        }
        finally
        {
            closeStream();
            client.removed(this);
        }
    }

    /** How a stream ended. */
    private enum Outcome
    {
        /** It never said created. */
        NOT_CREATED,
        /** It was up, then ended, broke or was cancelled. */
        LOST,
        /** The start revision was compacted: the watch is over. */
        COMPACTED
    }

    /**
     * Runs one stream on one endpoint until it ends.
     *
     * @param fromNow the watch was asked from now on and has not yet been created: its start is the revision
     *                its creation answers with.
     */
    private Outcome stream(final URI endpoint, final boolean fromNow) throws InterruptedException
    {
        this.endpoint = endpoint;
        final long start = fromNow ? 0 : lastRevision + 1;
        final byte[] body;
        try
        {
            body = GatewayJson.MAPPER.writeValueAsBytes(GatewayJson.watchCreateRequest(prefix, start));
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot write a watch request", ex);
        }
        final HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint + "/v3/watch"))
            .timeout(client.transport().requestTimeout())
            .header("Content-Type", "application/json")
            .header("Grpc-Metadata-hasleader", "true")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build();
        boolean created = false;
        try
        {
            final HttpResponse<InputStream> response =
                client.transport().http().send(request, HttpResponse.BodyHandlers.ofInputStream());
            stream = response.body();
            if (closed)
            {
                closeStream();
                return Outcome.NOT_CREATED;
            }
            if (response.statusCode() != 200)
            {
                closeStream();
                return Outcome.NOT_CREATED;
            }
            try (JsonParser messages = GatewayJson.MAPPER.getFactory().createParser(response.body()))
            {
                GatewayJson.WatchMessage message;
                while (!closed && (message = GatewayJson.nextWatchMessage(messages)) != null)
                {
                    if (message.error() != null)
                    {
                        break;
                    }
                    if (message.created())
                    {
                        created = true;
                        if (fromNow)
                        {
                            lastRevision = message.revision();
                        }
                        if (down)
                        {
                            down = false;
                            listener.connection(true);
                        }
                    }
                    if (message.compactRevision() > 0)
                    {
                        closeStream();
                        if (!closed)
                        {
                            listener.compacted(message.compactRevision());
                        }
                        return Outcome.COMPACTED;
                    }
                    if (message.canceled())
                    {
                        break;
                    }
                    final List<EtcdClient.Event> events = message.events();
                    if (!events.isEmpty())
                    {
                        if (closed)
                        {
                            break;
                        }
                        listener.events(message.revision(), events);
                        lastRevision = events.get(events.size() - 1).kv().modRevision();
                    }
                    else if (!message.created())
                    {
                        lastRevision = Math.max(lastRevision, message.revision());
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            if (Thread.interrupted() || closed)
            {
                throw new InterruptedException("closed");
            }
        }
        finally
        {
            closeStream();
        }
        return created ? Outcome.LOST : Outcome.NOT_CREATED;
    }

    private void closeStream()
    {
        final InputStream current = stream;
        if (current != null)
        {
            stream = null;
            try
            {
                current.close();
            }
            catch (final IOException ex)
            {
                // the stream is going away in any case
            }
        }
    }
}
