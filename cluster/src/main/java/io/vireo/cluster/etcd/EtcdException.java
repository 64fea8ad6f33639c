package io.vireo.cluster.etcd;

import java.io.IOException;

/**
 * A request to etcd that did not succeed. Either no endpoint could serve it ({@link #unreachable()}: every
 * endpoint refused the connection, timed out, broke the connection, or answered that it cannot serve now,
 * such as "no leader") — the caller may try again later; or the store answered with an error that trying
 * again will not change (a compacted revision, a request too large, an unknown lease), with its gRPC status
 * code in {@link #grpcCode()}.
 * <p>
 * The message is one line naming the endpoint(s) and what each said, e.g.
 * {@code put /vireo/a: http://10.0.0.1:2379: connection refused; http://10.0.0.2:2379: timed out after 5 s}.
 */
public final class EtcdException extends IOException
{
    /** {@link #grpcCode()} of an exception that carries no status from the store. */
    public static final int NO_CODE = -1;

    private static final long serialVersionUID = 1L;

    private final boolean unreachable;
    private final int grpcCode;

    /**
     * @param message     one line: the request, the endpoint(s), the cause.
     * @param unreachable no endpoint could serve the request.
     * @param grpcCode    the store's gRPC status code, or {@link #NO_CODE}.
     * @param cause       null, or the exception that stands behind it.
     */
    public EtcdException(final String message, final boolean unreachable, final int grpcCode, final Throwable cause)
    {
        super(message, cause);
        this.unreachable = unreachable;
        this.grpcCode = grpcCode;
    }

    /**
     * @return true when no endpoint answered in a way that serves the request (connection refused or broken,
     * timeout, or an "unavailable" answer such as no leader); false when the store answered an error.
     */
    public boolean unreachable()
    {
        return unreachable;
    }

    /**
     * @return the gRPC status code the store answered (3 invalid argument, 5 not found, 11 out of range for a
     * compacted revision, 14 unavailable...), or {@link #NO_CODE}.
     */
    public int grpcCode()
    {
        return grpcCode;
    }
}
