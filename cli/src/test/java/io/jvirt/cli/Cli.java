package io.jvirt.cli;

import io.jvirt.api.Connection;
import io.jvirt.api.Virt;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.function.Function;

/** Runs jvirsh in-process with captured output. */
final class Cli {
    /** One run's outcome. */
    record Result(int status, String out, String err) {
        @Override
        public String toString() {
            return "status=" + status + "\n--- out ---\n" + out + "--- err ---\n" + err;
        }
    }

    private Cli() {
    }

    /** Runs with a fresh connection per run, as separate jvirsh processes would. */
    static Result run(String... args) {
        return run(Map.of(), Virt::open, args);
    }

    /** Runs against {@code shared}: every URI opens it, and jvirsh's close leaves it open. */
    static Result runOn(Connection shared, String... args) {
        return run(Map.of(), uri -> unclosable(shared), args);
    }

    static Result run(Map<String, String> env, Function<String, Connection> opener, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Jvirsh.run(args, new PrintWriter(out, true), new PrintWriter(err, true), env, opener);
        return new Result(status, out.toString(), err.toString());
    }

    /** A view of {@code conn} whose close() does nothing. */
    static Connection unclosable(Connection conn) {
        return (Connection) Proxy.newProxyInstance(Cli.class.getClassLoader(), new Class<?>[]{Connection.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("close") && method.getParameterCount() == 0) {
                        return null;
                    }
                    try {
                        return method.invoke(conn, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
