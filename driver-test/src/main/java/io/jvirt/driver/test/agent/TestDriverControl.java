package io.jvirt.driver.test.agent;

/**
 * Test-only controls of a {@code test:///} connection, reached with
 * {@code connection.unwrap(TestDriverControl.class)}.
 */
public interface TestDriverControl {
    /**
     * Sets how the guest agent of the domain named {@code domainName} behaves, now if it runs and
     * at every later start. Switching a running domain's agent to or from {@link AgentMode#NONE}
     * reports an agent-lifecycle event, as a guest whose agent stops or starts would.
     *
     * @param domainName the domain's name (the domain need not exist yet)
     * @param mode       the behaviour
     */
    void setAgentMode(String domainName, AgentMode mode);

    /** How the agent of the domain named {@code domainName} behaves (the connection's default if not set). */
    AgentMode agentMode(String domainName);
}
