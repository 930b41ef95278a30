package io.jvirt.api.qemu;

import java.time.Duration;

/**
 * QEMU-specific extras of a domain, reached with
 * {@code dom.unwrap(QemuDomain.class)} on a {@code qemu://} connection (other drivers answer
 * {@code NO_SUPPORT}). For experts: commands sent this way bypass jvirt's bookkeeping, so the
 * domain is marked tainted.
 */
public interface QemuDomain {
    /**
     * Sends a complete QMP command ({@code {"execute":"query-status"}}) to the domain's monitor and
     * returns QEMU's whole reply as JSON, errors included ({@code {"return":…}} or
     * {@code {"error":…}}).
     *
     * @param json    the command as JSON
     * @param timeout how long to wait for the reply
     * @throws io.jvirt.api.VirtException {@code OPERATION_INVALID} if the domain is not running,
     *                                    {@code INVALID_ARG} if {@code json} is not a QMP command,
     *                                    {@code OPERATION_TIMEOUT} if QEMU does not answer in time
     */
    String monitorCommand(String json, Duration timeout);
}
