package io.jvirt.cli;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.VirtException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * The base of every jvirsh command: access to the run's connection, domain lookup as virsh does
 * it, the output stream, and the error shape. A command implements {@link #execute()} and
 * registers itself in {@link Commands#all()}.
 */
public abstract class JvirshCommand implements Callable<Integer> {
    @ParentCommand
    Jvirsh root;

    @Spec
    CommandSpec spec;

    @picocli.CommandLine.Option(names = {"-h", "--help"}, usageHelp = true, description = "show this command's help")
    boolean help;

    /** Runs the command; throws {@link CliException} or {@link VirtException} on failure. */
    protected abstract void execute() throws Exception;

    @Override
    public final Integer call() throws Exception {
        execute();
        out().flush();
        return 0;
    }

    /** The connection, opened on first use. */
    protected Connection conn() {
        return root.connection();
    }

    /** The domain named by {@code arg}: an id, a UUID or a name. */
    protected Domain domain(String arg) {
        return root.lookupDomain(arg);
    }

    /** Where output goes. */
    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    /** Where diagnostics go. */
    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Runs {@code action}, turning a jvirt failure into "CONTEXT: REASON". */
    protected static void attempt(String context, Runnable action) {
        try {
            action.run();
        } catch (VirtException e) {
            throw new CliException(context, e);
        }
    }

    /** Calls {@code action}, turning a jvirt failure into "CONTEXT: REASON". */
    protected static <T> T attempt(String context, Supplier<T> action) {
        try {
            return action.get();
        } catch (VirtException e) {
            throw new CliException(context, e);
        }
    }
}
