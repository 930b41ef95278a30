package io.jvirt.cli;

import io.jvirt.api.Capabilities;
import io.jvirt.api.Connection;
import io.jvirt.api.Feature;
import io.jvirt.api.Virt;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/** Commands about the connection itself: {@code uri}, {@code version}, {@code capabilities}. */
final class ConnectionCommands {
    private ConnectionCommands() {
    }

    /** {@code uri}: the canonical URI of the connection. */
    @Command(name = "uri", description = "print the hypervisor canonical URI")
    static final class UriCmd extends JvirshCommand {
        @Override
        protected void execute() {
            out().println(conn().uri());
        }
    }

    /** {@code version}: library, API and hypervisor versions, as virsh prints them. */
    @Command(name = "version", description = "show version")
    static final class VersionCmd extends JvirshCommand {
        @Override
        protected void execute() {
            Connection conn = conn();
            io.jvirt.api.Version hv = attempt("failed to get the hypervisor version", conn::version);
            PrintWriter out = out();
            out.println("Compiled against library: jvirt " + Virt.libraryVersion());
            out.println("Using library: jvirt " + conn.libraryVersion());
            out.println("Using API: " + conn.driverName() + " " + conn.libraryVersion());
            out.println("Running hypervisor: " + conn.driverName() + " " + hv);
        }
    }

    /** {@code capabilities}: the host and guest capabilities, as libvirt's capabilities XML or JSON. */
    @Command(name = "capabilities", description = "capabilities")
    static final class CapabilitiesCmd extends JvirshCommand {
        @Option(names = "--json", description = "print JSON instead of XML")
        boolean json;

        @Override
        protected void execute() {
            Capabilities caps = attempt("failed to get capabilities", () -> conn().capabilities());
            out().print(json ? Json.write(toJson(caps)) + "\n" : toXml(caps));
        }

        static Map<String, Object> toJson(Capabilities caps) {
            Map<String, Object> host = Json.object();
            host.put("arch", caps.host().arch());
            host.put("cpus", caps.host().cpus());
            host.put("memoryKiB", caps.host().memoryKiB());
            host.put("uuid", caps.host().uuid());
            List<Object> guests = new ArrayList<>();
            for (Capabilities.Guest g : caps.guests()) {
                Map<String, Object> guest = Json.object();
                guest.put("osType", g.osType());
                guest.put("arch", g.arch());
                guest.put("emulator", g.emulator());
                guest.put("machines", g.machines());
                guest.put("domainTypes", g.domainTypes());
                guests.add(guest);
            }
            Map<String, Object> root = Json.object();
            root.put("host", host);
            root.put("guests", guests);
            root.put("features", sortedFeatures(caps));
            root.put("notes", caps.notes());
            return root;
        }

        private static List<String> sortedFeatures(Capabilities caps) {
            TreeSet<String> names = new TreeSet<>();
            for (Feature f : caps.features()) {
                names.add(f.name().toLowerCase(java.util.Locale.ROOT));
            }
            return List.copyOf(names);
        }

        /** libvirt's {@code <capabilities>} document; jvirt's features and notes go in comments. */
        static String toXml(Capabilities caps) {
            StringBuilder sb = new StringBuilder("<capabilities>\n\n  <host>\n");
            Capabilities.Host host = caps.host();
            if (host.uuid() != null && host.uuid().matches("[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}")) {
                sb.append("    <uuid>").append(Xml.text(host.uuid())).append("</uuid>\n");
            }
            sb.append("    <cpu>\n      <arch>").append(Xml.text(host.arch())).append("</arch>\n    </cpu>\n");
            if (host.cpus() > 0 || host.memoryKiB() > 0) {
                sb.append("    <topology>\n      <cells num='1'>\n        <cell id='0'>\n");
                sb.append("          <memory unit='KiB'>").append(host.memoryKiB()).append("</memory>\n");
                sb.append("          <cpus num='").append(host.cpus()).append("'>\n");
                for (int i = 0; i < host.cpus(); i++) {
                    sb.append("            <cpu id='").append(i).append("'/>\n");
                }
                sb.append("          </cpus>\n        </cell>\n      </cells>\n    </topology>\n");
            }
            sb.append("  </host>\n\n");
            for (Capabilities.Guest g : caps.guests()) {
                sb.append("  <guest>\n    <os_type>").append(Xml.text(g.osType())).append("</os_type>\n");
                sb.append("    <arch name='").append(Xml.attr(g.arch())).append("'>\n");
                sb.append("      <wordsize>").append(wordsize(g.arch())).append("</wordsize>\n");
                if (g.emulator() != null && !g.emulator().isBlank()) {
                    sb.append("      <emulator>").append(Xml.text(g.emulator())).append("</emulator>\n");
                }
                for (String m : g.machines()) {
                    sb.append("      <machine>").append(Xml.text(m)).append("</machine>\n");
                }
                for (String t : g.domainTypes()) {
                    sb.append("      <domain type='").append(Xml.attr(t)).append("'/>\n");
                }
                sb.append("    </arch>\n  </guest>\n\n");
            }
            sb.append("  <!-- jvirt features: ").append(Xml.comment(String.join(" ", sortedFeatures(caps))))
                    .append(" -->\n");
            for (String note : caps.notes()) {
                sb.append("  <!-- note: ").append(Xml.comment(note)).append(" -->\n");
            }
            sb.append("</capabilities>\n");
            return sb.toString();
        }

        private static int wordsize(String arch) {
            return switch (arch == null ? "" : arch) {
                case "i686", "i386", "armv7l", "armv6l", "ppc", "mips", "mipsel", "s390" -> 32;
                default -> 64;
            };
        }
    }
}
