package io.vireo.cluster;

/** A request that needs the cluster store, refused while no etcd member answers. */
public final class StoreUnavailableException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public StoreUnavailableException(final String message)
    {
        super(message);
    }
}
