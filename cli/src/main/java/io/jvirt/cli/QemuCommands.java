package io.jvirt.cli;

import io.jvirt.api.Domain;
import io.jvirt.api.qemu.QemuDomain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.time.Duration;
import java.util.List;

/** QEMU-specific commands, reached through the {@link QemuDomain} extra (other drivers: NO_SUPPORT). */
final class QemuCommands {
    private QemuCommands() {
    }

    /** {@code qemu-monitor-command DOMAIN JSON... [--timeout S]}: QMP passthrough; prints QEMU's reply. */
    @Command(name = "qemu-monitor-command", description = "send a QMP command (JSON) to the domain's monitor and print"
            + " QEMU's reply; marks the domain tainted")
    static final class QemuMonitorCommandCmd extends JvirshCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "domain name, id or uuid")
        String name;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "JSON",
                description = "the command, e.g. '{\"execute\":\"query-status\"}' (several words are joined by spaces)")
        List<String> words;

        @Option(names = "--timeout", paramLabel = "SECONDS", description = "wait at most this many seconds (default 30)")
        Integer timeout;

        @Override
        protected void execute() {
            if (timeout != null && timeout <= 0) {
                throw new CliException("timeout value must be positive, not " + timeout);
            }
            Domain dom = domain(name);
            String reply = dom.unwrap(QemuDomain.class)
                    .monitorCommand(String.join(" ", words), Duration.ofSeconds(timeout == null ? 30 : timeout));
            out().println(reply);
        }
    }
}
