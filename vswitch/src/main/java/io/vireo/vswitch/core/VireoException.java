package io.vireo.vswitch.core;

import java.util.function.Supplier;

/** A request the switch refused, with a one-line message that names what was wrong. */
public final class VireoException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /** What kind of refusal, so the control API can answer with the right status. */
    public enum Kind
    {
        INVALID,
        NOT_FOUND,
        CONFLICT,
        FAILED
    }

    private final Kind kind;

    public VireoException(final Kind kind, final String message)
    {
        super(message);
        this.kind = kind;
    }

    public VireoException(final Kind kind, final String message, final Throwable cause)
    {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind()
    {
        return kind;
    }

    static VireoException invalid(final String message)
    {
        return new VireoException(Kind.INVALID, message);
    }

    static VireoException notFound(final String message)
    {
        return new VireoException(Kind.NOT_FOUND, message);
    }

    static VireoException conflict(final String message)
    {
        return new VireoException(Kind.CONFLICT, message);
    }

    /** The value of a check that throws {@link IllegalArgumentException}, which becomes an {@link Kind#INVALID} refusal. */
    static <T> T checked(final Supplier<T> check)
    {
        try
        {
            return check.get();
        }
        catch (final IllegalArgumentException ex)
        {
            throw invalid(ex.getMessage());
        }
    }
}
