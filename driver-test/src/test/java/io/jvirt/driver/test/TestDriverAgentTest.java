package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.driver.test.agent.AgentMode;
import io.jvirt.driver.test.agent.TestDriverControl;
import io.jvirt.tck.agent.AgentSuite;

import java.time.Duration;

/** The TCK's AgentSuite against the test driver's fake guest agent. */
class TestDriverAgentTest extends AgentSuite {
    @Override
    protected Connection openConnection() {
        return TestDriverTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return TestDriverTck.domainXml(name);
    }

    @Override
    protected Domain startWithSilentAgent(String name) {
        conn.unwrap(TestDriverControl.class).setAgentMode(name, AgentMode.SILENT);
        return conn.createDomain(domainXml(name));
    }

    @Override
    protected Duration agentReadyTimeout() {
        return Duration.ofSeconds(5);
    }
}
