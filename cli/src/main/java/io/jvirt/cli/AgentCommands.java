package io.jvirt.cli;

import io.jvirt.api.Domain;
import io.jvirt.api.InterfaceAddresses;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Commands served by the guest agent: {@code qemu-agent-command}, {@code domtime},
 * {@code domfsfreeze}, {@code domfsthaw}, {@code domifaddr}, {@code guestinfo} and
 * {@code set-user-password}, with virsh's options and output. ({@code shutdown --mode agent} and
 * {@code reboot --mode agent} are in {@link LifecycleCommands}.)
 */
final class AgentCommands {
    private AgentCommands() {
    }

    /** A command about one domain named by its first argument. */
    abstract static class DomainCommand extends JvirshCommand {
        @Parameters(index = "0", paramLabel = "DOMAIN", description = "domain name, id or uuid")
        String name;
    }

    /** {@code qemu-agent-command DOMAIN JSON... [--timeout S | --async | --block]}: prints the raw reply. */
    @Command(name = "qemu-agent-command", description = "send a raw command to the guest agent (JSON) and print its reply")
    static final class QemuAgentCommandCmd extends DomainCommand {
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "JSON",
                description = "the command, e.g. '{\"execute\":\"guest-ping\"}' (several words are joined by spaces)")
        List<String> words;

        @ArgGroup(exclusive = true)
        Wait wait;

        /** The mutually exclusive ways to wait for the reply. */
        static final class Wait {
            @Option(names = "--timeout", paramLabel = "SECONDS", description = "wait at most this many seconds (default 5)")
            Integer timeout;

            @Option(names = "--async", description = "do not wait for the reply")
            boolean async;

            @Option(names = "--block", description = "wait as long as it takes (bounded by the driver)")
            boolean block;
        }

        @Override
        protected void execute() {
            Duration timeout = null;
            if (wait != null) {
                if (wait.timeout != null) {
                    if (wait.timeout <= 0) {
                        throw new CliException("timeout value must be positive, not " + wait.timeout);
                    }
                    timeout = Duration.ofSeconds(wait.timeout);
                } else if (wait.async) {
                    timeout = Duration.ZERO;
                } else if (wait.block) {
                    timeout = Duration.ofSeconds(-1);
                }
            }
            Domain dom = domain(name);
            String reply = dom.agentCommand(String.join(" ", words), timeout);
            if (reply != null) {
                out().println(reply);
            }
        }
    }

    /** {@code domtime DOMAIN [--now] [--sync] [--time EPOCH] [--pretty]}. */
    @Command(name = "domtime", description = "get or set the guest's clock through the guest agent")
    static final class DomtimeCmd extends DomainCommand {
        @Option(names = "--now", description = "set the guest's clock to the host's time")
        boolean now;

        @Option(names = "--sync", description = "make the guest resynchronise its clock from its hardware clock")
        boolean sync;

        @Option(names = "--time", paramLabel = "EPOCH", description = "set the guest's clock to these seconds since the epoch")
        Long time;

        @Option(names = "--pretty", description = "print the time as YYYY-MM-DD hh:mm:ss (UTC)")
        boolean pretty;

        private static final DateTimeFormatter PRETTY =
                DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT).withZone(ZoneOffset.UTC);

        @Override
        protected void execute() {
            if (time != null && (now || sync)) {
                throw new CliException("Options --time and --" + (now ? "now" : "sync") + " are mutually exclusive");
            }
            boolean set = now || sync || time != null;
            if (set && pretty) {
                throw new CliException("Options --pretty and setting the time are mutually exclusive");
            }
            Domain dom = domain(name);
            if (!set) {
                Instant t = dom.time();
                out().println("Time: " + (pretty ? PRETTY.format(t) : Long.toString(t.getEpochSecond())));
            } else if (sync) {
                dom.setTime(null);
            } else {
                dom.setTime(now ? Instant.now() : Instant.ofEpochSecond(time));
            }
        }
    }

    /** {@code domfsfreeze DOMAIN [--mountpoint M]...}: "Froze N filesystem(s)". */
    @Command(name = "domfsfreeze", description = "freeze the guest's file systems through the guest agent")
    static final class DomfsfreezeCmd extends DomainCommand {
        @Option(names = "--mountpoint", paramLabel = "MOUNTPOINT", description = "a mount point to freeze (default: all)")
        List<String> mountpoints = new ArrayList<>();

        @Override
        protected void execute() {
            Domain dom = domain(name);
            int n = attempt("Unable to freeze filesystems", () -> dom.fsFreeze(List.copyOf(mountpoints)));
            out().println("Froze " + n + " filesystem(s)");
        }
    }

    /** {@code domfsthaw DOMAIN [--mountpoint M]...}: "Thawed N filesystem(s)". */
    @Command(name = "domfsthaw", description = "thaw the guest's file systems through the guest agent")
    static final class DomfsthawCmd extends DomainCommand {
        @Option(names = "--mountpoint", paramLabel = "MOUNTPOINT", description = "a mount point to thaw (default: all)")
        List<String> mountpoints = new ArrayList<>();

        @Override
        protected void execute() {
            Domain dom = domain(name);
            int n = attempt("Unable to thaw filesystems", () -> dom.fsThaw(List.copyOf(mountpoints)));
            out().println("Thawed " + n + " filesystem(s)");
        }
    }

    /** {@code domifaddr DOMAIN [--interface NAME] [--full] [--source lease|agent|arp]}: virsh's table. */
    @Command(name = "domifaddr", description = "the guest's network interfaces and addresses")
    static final class DomifaddrCmd extends DomainCommand {
        @Option(names = "--interface", paramLabel = "NAME", description = "only this interface")
        String iface;

        @Option(names = "--full", description = "repeat the name and MAC on every address line")
        boolean full;

        @Option(names = "--source", paramLabel = "SOURCE", description = "lease (default), agent or arp")
        String source;

        @Override
        protected void execute() {
            InterfaceAddresses.Source src = parseSource(source);
            Domain dom = domain(name);
            List<InterfaceAddresses> all = attempt("Failed to query for interfaces addresses",
                    () -> dom.interfaceAddresses(src));
            PrintWriter out = out();
            out.println(String.format(Locale.ROOT, " %-10s %-20s %-8s     %s", "Name", "MAC address", "Protocol",
                    "Address"));
            out.println("-".repeat(79));
            for (InterfaceAddresses i : all) {
                if (iface != null && !iface.equals(i.name())) {
                    continue;
                }
                String mac = i.mac() == null ? "" : i.mac();
                if (i.addresses().isEmpty()) {
                    out.println(String.format(Locale.ROOT, " %-10s %-17s    %s", i.name(), mac, "N/A").stripTrailing());
                    continue;
                }
                boolean first = true;
                for (String a : i.addresses()) {
                    String proto = a.contains(":") ? "ipv6" : "ipv4";
                    String addr = String.format(Locale.ROOT, "%-12s %s", proto, a);
                    out.println(String.format(Locale.ROOT, " %-10s %-17s    %s",
                            first || full ? i.name() : "-", first || full ? mac : "-", addr));
                    first = false;
                }
            }
        }

        static InterfaceAddresses.Source parseSource(String source) {
            if (source == null) {
                return InterfaceAddresses.Source.LEASE;
            }
            return switch (source.toLowerCase(Locale.ROOT)) {
                case "lease" -> InterfaceAddresses.Source.LEASE;
                case "agent" -> InterfaceAddresses.Source.AGENT;
                case "arp" -> InterfaceAddresses.Source.ARP;
                default -> throw new CliException("Unknown data source '" + source + "' (use lease, agent or arp)");
            };
        }
    }

    /** {@code guestinfo DOMAIN [--user] [--os] [--timezone] [--hostname]}: "key : value" lines. */
    @Command(name = "guestinfo", description = "facts the guest agent reports (os, hostname, timezone, users)")
    static final class GuestinfoCmd extends DomainCommand {
        @Option(names = "--user", description = "only the logged-in users")
        boolean user;

        @Option(names = "--os", description = "only the operating system")
        boolean os;

        @Option(names = "--timezone", description = "only the time zone")
        boolean timezone;

        @Option(names = "--hostname", description = "only the host name")
        boolean hostname;

        @Override
        protected void execute() {
            Domain dom = domain(name);
            Map<String, String> info = dom.guestInfo();
            boolean all = !(user || os || timezone || hostname);
            PrintWriter out = out();
            for (Map.Entry<String, String> e : info.entrySet()) {
                String k = e.getKey();
                boolean wanted = all || (user && k.startsWith("user.")) || (os && k.startsWith("os."))
                        || (timezone && k.startsWith("timezone.")) || (hostname && k.equals("hostname"));
                if (wanted) {
                    out.println(String.format(Locale.ROOT, "%-20s: %s", k, e.getValue()));
                }
            }
        }
    }

    /** {@code set-user-password DOMAIN USER PASSWORD [--encrypted]}. */
    @Command(name = "set-user-password", description = "set a guest user's password through the guest agent")
    static final class SetUserPasswordCmd extends DomainCommand {
        @Parameters(index = "1", paramLabel = "USER", description = "the user")
        String user;

        @Parameters(index = "2", paramLabel = "PASSWORD", description = "the new password")
        String password;

        @Option(names = "--encrypted", description = "PASSWORD is already encrypted (crypt(3) form)")
        boolean encrypted;

        @Override
        protected void execute() {
            Domain dom = domain(name);
            dom.setUserPassword(user, password, encrypted);
            out().println("Password set successfully for " + user + " in " + name);
        }
    }
}
