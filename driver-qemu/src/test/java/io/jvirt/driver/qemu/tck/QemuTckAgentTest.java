package io.jvirt.driver.qemu.tck;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.testutil.Embed;
import io.jvirt.tck.agent.AgentSuite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * The TCK's AgentSuite against qemu:///embed with the real tiny TCG guest and its qemu-ga. The
 * silent agent is the guest's own qemu-ga stopped with SIGSTOP (through guest-exec): its port stays
 * open, so commands are sent and never answered.
 */
@Timeout(600)
class QemuTckAgentTest extends AgentSuite {
    @TempDir
    static Path root;

    @AfterAll
    static void killLeftovers() throws Exception {
        Embed.killAll(root);
    }

    @Override
    protected Connection openConnection() {
        return Virt.open(Embed.uri(root));
    }

    @Override
    protected String domainXml(String name) {
        return QemuTck.agentDomainXml(name);
    }

    @Override
    protected Domain startWithSilentAgent(String name) {
        Domain d = startWithAgent(name);
        QemuTck.stopAgent(d);
        return d;
    }
}
