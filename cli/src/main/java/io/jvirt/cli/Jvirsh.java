package io.jvirt.cli;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * {@code jvirsh}: a virsh-like command line over the jvirt API. One process runs one command on one
 * connection, which it opens lazily (commands such as {@code help} never connect) and closes at
 * the end.
 *
 * <p>The connection URI is {@code -c URI} if given, else {@code $JVIRT_DEFAULT_URI}, else
 * {@code qemu:///session} if that driver opens, else {@code test:///default}. Errors print
 * {@code error: <message>} on stderr and exit with status 1. Every command's output ends with an
 * empty line, as virsh's does, unless {@code -q} is given.
 */
@Command(name = "jvirsh",
        description = "Manage virtual machines through jvirt (virsh's commands and output).",
        subcommands = {CommandLine.HelpCommand.class},
        usageHelpAutoWidth = true)
public final class Jvirsh implements Callable<Integer> {
    /** The URI used when neither {@code -c} nor {@code JVIRT_DEFAULT_URI} names one and QEMU is unavailable. */
    public static final String FALLBACK_URI = "test:///default";
    /** The URI tried first when neither {@code -c} nor {@code JVIRT_DEFAULT_URI} names one. */
    public static final String PREFERRED_URI = "qemu:///session";

    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,9}");

    @Option(names = {"-c", "--connect"}, paramLabel = "URI", description = "hypervisor connection URI")
    String connectUri;

    @Option(names = {"-q", "--quiet"}, description = "quieter output: no trailing empty line")
    boolean quiet;

    @Option(names = {"-v", "--version"}, description = "print jvirt's version and exit")
    boolean printVersion;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    private final Map<String, String> env;
    private final Function<String, Connection> opener;
    private CommandLine commandLine;
    private Connection connection;

    private Jvirsh(Map<String, String> env, Function<String, Connection> opener) {
        this.env = Objects.requireNonNull(env, "env");
        this.opener = Objects.requireNonNull(opener, "opener");
    }

    /** Runs jvirsh as a program. */
    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        PrintWriter err = new PrintWriter(System.err, true);
        int status = run(args, out, err, System.getenv(), Virt::open);
        out.flush();
        err.flush();
        System.exit(status);
    }

    /**
     * Runs one command line and returns its exit status; the programmatic entry point tests use.
     *
     * @param args   the arguments, as on the command line
     * @param out    where output goes
     * @param err    where errors go
     * @param env    the environment ({@code JVIRT_DEFAULT_URI})
     * @param opener opens a connection for a URI (normally {@link Virt#open(String)})
     * @return 0 on success, 1 on any error
     */
    public static int run(String[] args, PrintWriter out, PrintWriter err, Map<String, String> env,
                          Function<String, Connection> opener) {
        Jvirsh root = new Jvirsh(env, opener);
        CommandLine cl = new CommandLine(root);
        for (Object command : Commands.all()) {
            cl.addSubcommand(command);
        }
        root.commandLine = cl;
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, argv) -> {
            String message = ex.getMessage();
            if (ex instanceof CommandLine.UnmatchedArgumentException u && ex.getCommandLine() == cl
                    && !u.getUnmatched().isEmpty() && !u.getUnmatched().getFirst().startsWith("-")) {
                message = "unknown command: '" + u.getUnmatched().getFirst() + "' (try 'jvirsh help')";
            }
            err.println("error: " + oneLine(message));
            err.flush();
            return 1;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            err.println("error: " + describe(ex));
            err.flush();
            return 1;
        });
        cl.setExecutionStrategy(parseResult -> {
            int status = new CommandLine.RunLast().execute(parseResult);
            CommandLine.ParseResult leaf = parseResult;
            while (leaf.hasSubcommand()) {
                leaf = leaf.subcommand();
            }
            boolean helpOnly = leaf.isUsageHelpRequested() || leaf.commandSpec().userObject() instanceof CommandLine.HelpCommand;
            if (status == 0 && !root.quiet && !helpOnly && parseResult.hasSubcommand()) {
                out.println();
            }
            return status;
        });
        try {
            return cl.execute(args);
        } finally {
            root.closeConnection();
            out.flush();
            err.flush();
        }
    }

    /** No command: print the help. */
    @Override
    public Integer call() {
        if (printVersion) {
            commandLine.getOut().println(Virt.libraryVersion());
            return 0;
        }
        commandLine.usage(commandLine.getOut());
        return 0;
    }

    /** The connection for this run, opened on first use. */
    Connection connection() {
        if (connection == null) {
            connection = openConnection();
        }
        return connection;
    }

    private Connection openConnection() {
        String uri = connectUri;
        if (uri == null || uri.isBlank()) {
            uri = env.get("JVIRT_DEFAULT_URI");
        }
        try {
            if (uri != null && !uri.isBlank()) {
                return opener.apply(uri);
            }
            return openDefault();
        } catch (VirtException e) {
            throw new CliException("failed to connect to the hypervisor", e);
        }
    }

    /** {@code qemu:///session} when that driver opens; {@code test:///default} when it says it cannot. */
    private Connection openDefault() {
        try {
            return opener.apply(PREFERRED_URI);
        } catch (VirtException e) {
            if (e.code() == ErrorCode.NO_CONNECT || e.code() == ErrorCode.NO_SUPPORT) {
                System.getLogger(Jvirsh.class.getName()).log(System.Logger.Level.DEBUG,
                        "{0} unavailable ({1}); using {2}", PREFERRED_URI, e.getMessage(), FALLBACK_URI);
                return opener.apply(FALLBACK_URI);
            }
            throw e;
        }
    }

    private void closeConnection() {
        if (connection != null) {
            try {
                connection.close();
            } catch (RuntimeException e) {
                System.getLogger(Jvirsh.class.getName()).log(System.Logger.Level.WARNING,
                        "closing the connection failed: " + e.getMessage(), e);
            }
            connection = null;
        }
    }

    /**
     * Finds a domain as virsh does: by id when the argument is a number, then by UUID when it is
     * one, then by name.
     *
     * @throws CliException "failed to get domain 'ARG'" with the last lookup's reason
     */
    Domain lookupDomain(String arg) {
        Connection conn = connection();
        if (DIGITS.matcher(arg).matches()) {
            try {
                return conn.lookupDomainById(Integer.parseInt(arg));
            } catch (VirtException e) {
                rethrowUnlessNotFound(arg, e);
            }
        }
        UUID uuid = parseUuid(arg);
        if (uuid != null) {
            try {
                return conn.lookupDomainByUuid(uuid);
            } catch (VirtException e) {
                rethrowUnlessNotFound(arg, e);
            }
        }
        try {
            return conn.lookupDomainByName(arg);
        } catch (VirtException e) {
            throw new CliException("failed to get domain '" + arg + "'", e);
        }
    }

    private static void rethrowUnlessNotFound(String arg, VirtException e) {
        if (e.code() != ErrorCode.NO_DOMAIN && e.code() != ErrorCode.INVALID_ARG) {
            throw new CliException("failed to get domain '" + arg + "'", e);
        }
    }

    private static UUID parseUuid(String text) {
        String hex = text.replace("-", "");
        if (hex.length() != 32 || !hex.chars().allMatch(c -> Character.digit(c, 16) >= 0)) {
            return null;
        }
        return new UUID(Long.parseUnsignedLong(hex.substring(0, 16), 16),
                Long.parseUnsignedLong(hex.substring(16), 16));
    }

    /** The one-line text printed after {@code error: } for a failure. */
    static String describe(Throwable ex) {
        if (ex instanceof CliException cli) {
            return oneLine(cli.getMessage());
        }
        if (ex instanceof VirtException virt) {
            return oneLine(virt.getMessage());
        }
        String message = ex.getMessage();
        return oneLine(ex.getClass().getSimpleName() + (message == null ? "" : ": " + message));
    }

    /** Folds a message onto one line. */
    static String oneLine(String message) {
        if (message == null) {
            return "unknown error";
        }
        return message.strip().replaceAll("\\s*[\\r\\n]+\\s*", " ");
    }
}
