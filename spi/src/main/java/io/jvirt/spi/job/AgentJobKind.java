package io.jvirt.spi.job;

/**
 * The kinds of agent jobs: a caller that talks to the guest agent holds an agent job and never a
 * normal job at the same time, so an unresponsive guest agent cannot block monitor work.
 */
public enum AgentJobKind {
    /** Reads from the guest agent (fsinfo, interfaces, time, ...). */
    QUERY,
    /** Changes guest state through the agent (freeze, set time, set user password, ...). */
    MODIFY
}
