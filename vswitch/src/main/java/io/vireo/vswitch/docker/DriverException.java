package io.vireo.vswitch.docker;

/** A driver request understood but not carried out: 500 with the reason in {@code Err}. */
final class DriverException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    DriverException(final String message)
    {
        super(message);
    }
}
