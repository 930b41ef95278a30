package io.jvirt.api;

import java.util.Objects;

/**
 * The one exception every jvirt operation throws. It is unchecked, like libvirt-java's
 * {@code LibvirtException} made runtime: callers catch it where they can act on {@link #code()}.
 */
public class VirtException extends RuntimeException {
    private final ErrorCode code;

    public VirtException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public VirtException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    /** What kind of failure this is. */
    public ErrorCode code() {
        return code;
    }

    /** Shorthand for an operation the driver lacks. */
    public static VirtException noSupport(String operation) {
        return new VirtException(ErrorCode.NO_SUPPORT, "this function is not supported by the driver: " + operation);
    }

    /** Shorthand for an operation that the domain's state does not allow. */
    public static VirtException invalid(String message) {
        return new VirtException(ErrorCode.OPERATION_INVALID, "Requested operation is not valid: " + message);
    }

    @Override
    public String toString() {
        return "VirtException[" + code + "]: " + getMessage();
    }
}
