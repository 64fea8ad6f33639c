package io.vireo.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP relay on loopback between one cluster node and etcd, which a test can {@link #cut} and {@link #restore}:
 * the store goes away for that node alone while the others keep it. Cut, it closes every relayed connection
 * and each new one at once, as a partition that resets connections would.
 */
final class StoreLink implements AutoCloseable
{
    private final URI store;
    private final ServerSocket listener;
    private final List<Socket> open = new ArrayList<>();
    private boolean cut;

    StoreLink(final URI store) throws IOException
    {
        this.store = store;
        listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final Thread acceptor = new Thread(this::accept, "store-link");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** The URL a node uses to reach the store through this link. */
    URI url()
    {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort());
    }

    /** Drops every connection through the link and refuses new ones until {@link #restore}. */
    synchronized void cut()
    {
        cut = true;
        open.forEach(StoreLink::closeQuietly);
        open.clear();
    }

    synchronized void restore()
    {
        cut = false;
    }

    @Override
    public void close()
    {
        closeQuietly(listener);
        cut();
    }

    private void accept()
    {
        while (!listener.isClosed())
        {
            try
            {
                final Socket client = listener.accept();
                synchronized (this)
                {
                    if (cut)
                    {
                        closeQuietly(client);
                        continue;
                    }
                    final Socket upstream = new Socket();
                    try
                    {
                        upstream.connect(new InetSocketAddress(store.getHost(), store.getPort()), 5_000);
                    }
                    catch (final IOException refused)
                    {
                        closeQuietly(client);
                        continue;
                    }
                    open.add(client);
                    open.add(upstream);
                    pump(client, upstream);
                    pump(upstream, client);
                }
            }
            catch (final IOException ex)
            {
                // the listener was closed
            }
        }
    }

    private static void pump(final Socket from, final Socket to)
    {
        final Thread thread = new Thread(() ->
        {
            final byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream())
            {
                for (int read; (read = in.read(buffer)) >= 0; )
                {
                    out.write(buffer, 0, read);
                    out.flush();
                }
            }
            catch (final IOException ex)
            {
                // one side closed: close both below
            }
            finally
            {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "store-link-pump");
        thread.setDaemon(true);
        thread.start();
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final Exception ex)
        {
            // closing on the way out
        }
    }
}
