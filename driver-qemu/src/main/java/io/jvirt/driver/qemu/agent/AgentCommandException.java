package io.jvirt.driver.qemu.agent;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

/**
 * The guest agent answered a command with an error. The code is {@link ErrorCode#OPERATION_FAILED};
 * the agent's error class ({@code GenericError}, {@code CommandNotFound}, ...) and description are
 * kept for callers that act on them.
 */
public final class AgentCommandException extends VirtException {
    private final String command;
    private final String errorClass;
    private final String description;

    /**
     * @param command     the command that failed
     * @param errorClass  the agent's error class
     * @param description the agent's description
     */
    public AgentCommandException(String command, String errorClass, String description) {
        super(ErrorCode.OPERATION_FAILED, "unable to execute guest agent command '" + command + "': "
                + description + " (" + errorClass + ")");
        this.command = command;
        this.errorClass = errorClass;
        this.description = description;
    }

    /** The command that failed. */
    public String command() {
        return command;
    }

    /** The agent's error class, e.g. {@code GenericError} or {@code CommandNotFound}. */
    public String errorClass() {
        return errorClass;
    }

    /** The agent's own description of the error. */
    public String description() {
        return description;
    }
}
