package io.vireo.vswitch.link;

/** A link or address change the kernel refused; the message is one line naming the change. */
public final class LinkException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    public LinkException(final String message)
    {
        super(message);
    }
}
