package io.jvirt.driver.qemu.monitor;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

/**
 * QEMU answered a command with {@code {"error": {"class": ..., "desc": ...}}}. The message reads
 * {@code QEMU: <class>: <desc>}.
 */
public final class QmpError extends VirtException {
    private final String command;
    private final String errorClass;
    private final String description;

    /**
     * @param command     the command that failed
     * @param errorClass  QEMU's error class
     * @param description QEMU's description
     * @param cause       an earlier report of the same error (another thread's), or null
     */
    public QmpError(String command, String errorClass, String description, Throwable cause) {
        super(ErrorCode.OPERATION_FAILED, "QEMU: " + errorClass + ": " + description, cause);
        this.command = command;
        this.errorClass = errorClass;
        this.description = description;
    }

    /** The command QEMU refused. */
    public String command() {
        return command;
    }

    /** QEMU's error class ({@code GenericError}, {@code CommandNotFound}, {@code DeviceNotFound}, …). */
    public String errorClass() {
        return errorClass;
    }

    /** QEMU's human-readable description. */
    public String description() {
        return description;
    }
}
