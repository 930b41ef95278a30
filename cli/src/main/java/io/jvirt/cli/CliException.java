package io.jvirt.cli;

import io.jvirt.api.VirtException;

/**
 * A command failure as jvirsh reports it: what it was doing ("failed to get domain 'x'") and,
 * when a jvirt call failed, that call's reason, joined on one line.
 */
public final class CliException extends RuntimeException {
    /** A failure with no underlying jvirt error. */
    public CliException(String message) {
        super(message);
    }

    /** A failure caused by a jvirt call: "CONTEXT: REASON". */
    public CliException(String context, VirtException cause) {
        super(context + ": " + cause.getMessage(), cause);
    }

    /** The jvirt error behind this failure, or null. */
    public VirtException virtCause() {
        return getCause() instanceof VirtException v ? v : null;
    }
}
