package io.gometro.capture;

/** A capture could not be opened or configured; the message is for the operator. */
public final class CaptureException extends Exception {
    /** True when the cause is a missing permission (CAP_NET_RAW). */
    private final boolean permission;

    public CaptureException(String message, boolean permission) {
        super(message);
        this.permission = permission;
    }

    public boolean isPermission() { return permission; }
}
