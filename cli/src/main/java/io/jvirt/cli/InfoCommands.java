package io.jvirt.cli;

import io.jvirt.api.Domain;
import io.jvirt.api.DomainInfo;
import io.jvirt.api.DomainStatus;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainXml;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;

/**
 * Queries about one domain: {@code dominfo}, {@code domstate}, {@code domid}, {@code domuuid},
 * {@code domname}, {@code dumpxml}, and the {@code autostart} flag.
 */
final class InfoCommands {
    private InfoCommands() {
    }

    /** A command about one domain named by its argument. */
    abstract static class DomainQuery extends JvirshCommand {
        @Parameters(paramLabel = "DOMAIN", description = "domain name, id or uuid")
        String name;
    }

    /** {@code dominfo DOMAIN}: virsh's key-value table ({@code "%-15s %s"}). */
    @Command(name = "dominfo", description = "domain information")
    static final class DominfoCmd extends DomainQuery {
        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        protected void execute() {
            Domain dom = domain(name);
            String context = "failed to get information of domain '" + name + "'";
            DomainInfo info = attempt(context, dom::info);
            int id = attempt(context, dom::id);
            String osType = attempt(context, () -> DomainXml.parse(dom.xml()).os().type());
            boolean persistent = attempt(context, dom::isPersistent);
            boolean autostart = attempt(context, dom::autostart);
            String managedSave;
            try {
                managedSave = dom.hasManagedSave() ? "yes" : "no";
            } catch (VirtException e) {
                managedSave = "unknown";
            }
            if (json) {
                Map<String, Object> o = Json.object();
                o.put("id", id < 0 ? null : id);
                o.put("name", dom.name());
                o.put("uuid", dom.uuid().toString());
                o.put("osType", osType);
                o.put("state", info.state().label());
                o.put("cpus", info.vcpus());
                o.put("cpuTimeNanos", info.cpuTimeNanos());
                o.put("maxMemoryKiB", info.maxMemoryKiB());
                o.put("usedMemoryKiB", info.memoryKiB());
                o.put("persistent", persistent);
                o.put("autostart", autostart);
                o.put("managedSave", managedSave);
                out().println(Json.write(o));
                return;
            }
            PrintWriter out = out();
            line(out, "Id:", id < 0 ? "-" : Integer.toString(id));
            line(out, "Name:", dom.name());
            line(out, "UUID:", dom.uuid().toString());
            line(out, "OS Type:", osType);
            line(out, "State:", info.state().label());
            line(out, "CPU(s):", Integer.toString(info.vcpus()));
            if (info.cpuTimeNanos() != 0) {
                line(out, "CPU time:", String.format(Locale.ROOT, "%.1fs", info.cpuTimeNanos() / 1e9));
            }
            line(out, "Max memory:", info.maxMemoryKiB() + " KiB");
            line(out, "Used memory:", info.memoryKiB() + " KiB");
            line(out, "Persistent:", persistent ? "yes" : "no");
            line(out, "Autostart:", autostart ? "enable" : "disable");
            line(out, "Managed save:", managedSave);
        }

        private static void line(PrintWriter out, String key, String value) {
            out.println(String.format(Locale.ROOT, "%-15s %s", key, value));
        }
    }

    /** {@code domstate DOMAIN [--reason]}: "running", or "running (booted)". */
    @Command(name = "domstate", description = "domain state")
    static final class DomstateCmd extends DomainQuery {
        @Option(names = "--reason", description = "also print reason for the state")
        boolean reason;
        @Option(names = "--json", description = "print JSON")
        boolean json;

        @Override
        protected void execute() {
            Domain dom = domain(name);
            DomainStatus status = attempt("failed to get state of domain '" + name + "'", dom::state);
            if (json) {
                Map<String, Object> o = Json.object();
                o.put("state", status.state().label());
                o.put("reason", status.reason().label());
                out().println(Json.write(o));
            } else {
                out().println(reason ? status.toString() : status.state().label());
            }
        }
    }

    /** {@code domid DOMAIN}: the id, or "-" when inactive. */
    @Command(name = "domid", description = "convert a domain name or UUID to domain id")
    static final class DomidCmd extends DomainQuery {
        @Override
        protected void execute() {
            Domain dom = domain(name);
            int id = attempt("failed to get id of domain '" + name + "'", dom::id);
            out().println(id < 0 ? "-" : Integer.toString(id));
        }
    }

    /** {@code domuuid DOMAIN}. */
    @Command(name = "domuuid", description = "convert a domain name or id to domain UUID")
    static final class DomuuidCmd extends DomainQuery {
        @Override
        protected void execute() {
            out().println(domain(name).uuid());
        }
    }

    /** {@code domname DOMAIN}. */
    @Command(name = "domname", description = "convert a domain id or UUID to domain name")
    static final class DomnameCmd extends DomainQuery {
        @Override
        protected void execute() {
            out().println(domain(name).name());
        }
    }

    /** {@code dumpxml DOMAIN [--inactive]}. */
    @Command(name = "dumpxml", description = "domain information in XML")
    static final class DumpxmlCmd extends DomainQuery {
        @Option(names = "--inactive", description = "show inactive defined XML")
        boolean inactive;

        @Override
        protected void execute() {
            Domain dom = domain(name);
            String xml = attempt("failed to get the XML of domain '" + name + "'", () -> dom.xml(inactive));
            out().print(xml.endsWith("\n") ? xml : xml + "\n");
        }
    }

    /** {@code autostart DOMAIN [--disable]}. */
    @Command(name = "autostart", description = "autostart a domain")
    static final class AutostartCmd extends DomainQuery {
        @Option(names = "--disable", description = "disable autostarting")
        boolean disable;

        @Override
        protected void execute() {
            Domain dom = domain(name);
            String what = disable ? "unmark" : "mark";
            attempt("Failed to " + what + " domain '" + name + "' as autostarted", () -> dom.setAutostart(!disable));
            out().println("Domain '" + name + "' " + what + "ed as autostarted");
        }
    }
}
