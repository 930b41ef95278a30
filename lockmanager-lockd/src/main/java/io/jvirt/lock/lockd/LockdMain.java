package io.jvirt.lock.lockd;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.lock.ConfFile;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Set;

/**
 * {@code jvirt-lockd [--socket PATH] [--config FILE] [--takeover] [--list]}: runs the daemon,
 * takes over from a running one without dropping its locks ({@code --takeover}), or lists the
 * locks and owners of a running one ({@code --list}).
 */
public final class LockdMain {
    private LockdMain() {
    }

    /** Entry point. */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** The default socket: {@code /run/jvirt/jvirt-lockd.sock} for root, else under XDG_RUNTIME_DIR. */
    public static Path defaultSocket() {
        if ("root".equals(System.getProperty("user.name"))) {
            return Path.of("/run/jvirt/jvirt-lockd.sock");
        }
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        return Path.of(xdg != null ? xdg : System.getProperty("java.io.tmpdir"), "jvirt", "jvirt-lockd.sock");
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        Path socket = null;
        Path config = null;
        boolean takeover = false;
        boolean list = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--socket", "-s" -> socket = Path.of(value(args, ++i, "--socket"));
                case "--config", "-f" -> config = Path.of(value(args, ++i, "--config"));
                case "--takeover" -> takeover = true;
                case "--list", "list" -> list = true;
                case "--help", "-h" -> {
                    out.println("usage: jvirt-lockd [--socket PATH] [--config FILE] [--takeover] [--list]");
                    return 0;
                }
                default -> {
                    err.println("jvirt-lockd: unknown argument '" + args[i] + "' (try --help)");
                    return 2;
                }
            }
        }
        try {
            if (config != null) {
                ConfFile conf = ConfFile.read(config);
                conf.requireKnown(Set.of("socket"));
                if (socket == null && conf.getString("socket", null) != null) {
                    socket = Path.of(conf.getString("socket", null));
                }
            }
            if (socket == null) {
                socket = defaultSocket();
            }
            if (list) {
                return list(socket, out);
            }
            LockDaemon d = takeover ? Handover.receive(socket) : null;
            if (d == null) {
                d = LockDaemon.bind(socket);
            }
            out.println("jvirt-lockd ready on " + socket + " (pid " + ProcessHandle.current().pid() + ")");
            out.flush();
            d.serve();
            return 0;
        } catch (VirtException | IOException | IllegalArgumentException e) {
            err.println("jvirt-lockd: " + e.getMessage());
            return 1;
        }
    }

    private static String value(String[] args, int i, String opt) {
        if (i >= args.length) {
            throw new IllegalArgumentException(opt + " needs a value");
        }
        return args[i];
    }

    private static int list(Path socket, PrintStream out) {
        try (LockdClient c = LockdClient.connect(socket, "list locks")) {
            JsonNode r = c.call(Protocol.JSON.createObjectNode().put("cmd", "list"));
            out.printf("%-10s %-40s %s%n", "MODE", "RESOURCE", "OWNERS");
            for (JsonNode l : r.path("locks")) {
                StringBuilder who = new StringBuilder();
                for (JsonNode u : l.path("owners")) {
                    for (JsonNode o : r.path("owners")) {
                        if (o.path("uuid").asText().equals(u.asText())) {
                            who.append(who.isEmpty() ? "" : ", ").append(o.path("name").asText())
                                    .append(" (pid ").append(o.path("pid").asLong()).append(')');
                        }
                    }
                }
                String name = l.path("name").asText();
                String file = l.path("file").asText();
                out.printf("%-10s %-40s %s%n", l.path("mode").asText(), name.equals(file) ? name : name + " [" + file + "]", who);
            }
            out.println();
            out.printf("%-36s %-20s %-8s %s%n", "OWNER UUID", "NAME", "PID", "URI");
            for (JsonNode o : r.path("owners")) {
                out.printf("%-36s %-20s %-8d %s%n", o.path("uuid").asText(), o.path("name").asText(),
                        o.path("pid").asLong(), o.path("uri").asText());
            }
            return 0;
        }
    }
}
