package io.vireo.vswitch.cni;

/**
 * A failed CNI operation, reported to the runtime as the spec's error result: a code from the spec's
 * table (or {@link #PLUGIN_SPECIFIC}), a short message and optional details.
 */
final class CniException extends RuntimeException
{
    static final int INCOMPATIBLE_VERSION = 1;
    static final int UNSUPPORTED_FIELD = 2;
    static final int UNKNOWN_CONTAINER = 3;
    static final int INVALID_ENVIRONMENT = 4;
    static final int IO_FAILURE = 5;
    static final int DECODING_FAILURE = 6;
    static final int INVALID_CONFIG = 7;
    static final int TRY_AGAIN_LATER = 11;
    /** What the switch, the kernel or a delegated plugin refused; the message says which. */
    static final int PLUGIN_SPECIFIC = 999;

    private static final long serialVersionUID = 1L;

    private final int code;
    private final String details;

    CniException(final int code, final String message)
    {
        this(code, message, "");
    }

    /** A line break the message quotes (a field name, a value) is written as {@code \n}: the message is one line. */
    CniException(final int code, final String message, final String details)
    {
        super(message.replace("\r", "\\r").replace("\n", "\\n"));
        this.code = code;
        this.details = null == details ? "" : details;
    }

    int code()
    {
        return code;
    }

    String details()
    {
        return details;
    }
}
