package io.jvirt.driver.vz.sdk;

import java.util.Objects;

/**
 * A failed SDK call or SDK job. Unchecked; the driver maps {@link #kind()} to a
 * {@link io.jvirt.api.ErrorCode}.
 */
public class SdkException extends RuntimeException {
    /** What kind of failure the SDK reported. */
    public enum Kind {
        /** The operation itself failed on the host. */
        FAILED,
        /** The job did not complete within the caller's wait. */
        TIMEOUT,
        /** The job was cancelled. */
        CANCELLED,
        /** No VM with that identity. */
        NOT_FOUND,
        /** The VM has no snapshot with that name. */
        NO_SNAPSHOT,
        /** The VM has no such device. */
        NO_DEVICE,
        /** The VM's state does not allow the operation. */
        INVALID_STATE,
        /** A VM with that name or UUID already exists. */
        EXISTS,
        /** The session is closed or the host went away. */
        DISCONNECTED
    }

    private final Kind kind;

    public SdkException(Kind kind, String message) {
        super(message);
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** What kind of failure this is. */
    public Kind kind() {
        return kind;
    }
}
