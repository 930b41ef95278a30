package io.jvirt.cli;

import io.jvirt.api.Domain;
import io.jvirt.api.ShutdownMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.Locale;

/**
 * State changes: {@code start}, {@code shutdown}, {@code destroy}, {@code reboot},
 * {@code suspend}, {@code resume}. Each prints virsh's sentence on success and
 * "Failed to VERB domain 'X': REASON" on failure.
 */
final class LifecycleCommands {
    private LifecycleCommands() {
    }

    /** A command that does one thing to one domain. */
    abstract static class DomainAction extends JvirshCommand {
        @Parameters(paramLabel = "DOMAIN", description = "domain name, id or uuid")
        String name;

        /** virsh's verb in "Failed to VERB domain". */
        abstract String verb();

        /** virsh's sentence after the domain's name ("started"). */
        abstract String done();

        abstract void act(Domain dom);

        @Override
        protected void execute() {
            Domain dom = domain(name);
            attempt("Failed to " + verb() + " domain '" + name + "'", () -> act(dom));
            out().println("Domain '" + name + "' " + done());
        }
    }

    /** Parses virsh's {@code --mode} value; jvirt knows {@code acpi} and {@code agent}. */
    static ShutdownMode parseMode(String mode) {
        if (mode == null) {
            return ShutdownMode.DEFAULT;
        }
        return switch (mode.toLowerCase(Locale.ROOT)) {
            case "acpi" -> ShutdownMode.ACPI;
            case "agent" -> ShutdownMode.AGENT;
            case "initctl", "signal", "paravirt" -> throw new CliException(
                    "mode '" + mode + "' is not supported by jvirt; use 'acpi' or 'agent'");
            default -> throw new CliException("Unknown mode " + mode
                    + " value, expecting 'acpi', 'agent', 'initctl', 'signal' or 'paravirt'");
        };
    }

    /** {@code start DOMAIN}. */
    @Command(name = "start", description = "start a (previously defined) inactive domain")
    static final class StartCmd extends DomainAction {
        String verb() { return "start"; }
        String done() { return "started"; }
        void act(Domain dom) { dom.start(); }
    }

    /** {@code shutdown DOMAIN [--mode acpi|agent]}. */
    @Command(name = "shutdown", description = "gracefully shutdown a domain")
    static final class ShutdownCmd extends DomainAction {
        @Option(names = "--mode", paramLabel = "MODE", description = "acpi or agent")
        String mode;

        String verb() { return "shutdown"; }
        String done() { return "is being shutdown"; }
        void act(Domain dom) { dom.shutdown(parseMode(mode)); }

        @Override
        protected void execute() {
            parseMode(mode);
            super.execute();
        }
    }

    /** {@code destroy DOMAIN}. */
    @Command(name = "destroy", description = "destroy (stop) a domain")
    static final class DestroyCmd extends DomainAction {
        String verb() { return "destroy"; }
        String done() { return "destroyed"; }
        void act(Domain dom) { dom.destroy(); }
    }

    /** {@code reboot DOMAIN [--mode acpi|agent]}. */
    @Command(name = "reboot", description = "reboot a domain")
    static final class RebootCmd extends DomainAction {
        @Option(names = "--mode", paramLabel = "MODE", description = "acpi or agent")
        String mode;

        String verb() { return "reboot"; }
        String done() { return "is being rebooted"; }
        void act(Domain dom) { dom.reboot(parseMode(mode)); }

        @Override
        protected void execute() {
            parseMode(mode);
            super.execute();
        }
    }

    /** {@code suspend DOMAIN}. */
    @Command(name = "suspend", description = "suspend a domain")
    static final class SuspendCmd extends DomainAction {
        String verb() { return "suspend"; }
        String done() { return "suspended"; }
        void act(Domain dom) { dom.suspend(); }
    }

    /** {@code resume DOMAIN}. */
    @Command(name = "resume", description = "resume a domain")
    static final class ResumeCmd extends DomainAction {
        String verb() { return "resume"; }
        String done() { return "resumed"; }
        void act(Domain dom) { dom.resume(); }
    }
}
