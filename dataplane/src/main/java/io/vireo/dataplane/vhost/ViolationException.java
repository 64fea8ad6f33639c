package io.vireo.dataplane.vhost;

/** A violation found on the control thread; the session catches it and resets the port. */
final class ViolationException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final Violation violation;

    ViolationException(final Violation violation, final String detail)
    {
        super(violation.text() + ": " + detail);
        this.violation = violation;
    }

    Violation violation()
    {
        return violation;
    }
}
