package io.jvirt.spi.process;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Spawns programs through the {@code jvirt-spawn} helper, which gives pre-exec hooks a window
 * between fork and exec: the helper starts, connects back over a private control socket and
 * reports its pid; for each socket a hook names it connects from its own process and passes the
 * connected descriptor to the JVM ({@code SCM_RIGHTS}); when every hook agreed it sets its
 * session, umask, limits and user and execs the program, keeping exactly the connected
 * descriptors besides 0-2. If a hook refuses, the helper exits and nothing runs.
 *
 * <p>The program's pid is the helper's pid, the JVM is its parent (and reaps it), and it runs in
 * its own session, so it outlives the JVM.
 */
public final class Spawner {
    private static final System.Logger LOG = System.getLogger(Spawner.class.getName());
    private final Path helper;
    private final Path socketDir;

    /**
     * @param helper    the helper binary ({@link SpawnHelper#locate()})
     * @param socketDir a private directory for the short-lived control sockets
     */
    public Spawner(Path helper, Path socketDir) {
        this.helper = helper;
        this.socketDir = socketDir;
    }

    /** A spawner using the bundled helper. */
    public static Spawner create(Path socketDir) {
        return new Spawner(SpawnHelper.locate(), socketDir);
    }

    /**
     * Spawns {@code request}'s program.
     *
     * @throws VirtException {@code OPERATION_FAILED} naming the program and why (a hook's refusal is
     *                       rethrown as the hook threw it, if it is a {@link VirtException})
     */
    public SpawnedProcess spawn(SpawnRequest request) {
        long deadline = System.nanoTime() + request.timeout().toNanos();
        String program = request.argv().get(0);
        Path ctl = socketDir.resolve(".spawn-" + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".sock");
        List<PassedSocket> passed = new ArrayList<>();
        List<PreExecHook> agreed = new ArrayList<>();
        Process process = null;
        AFUNIXSocket conn = null;
        boolean execd = false;
        try {
            Files.createDirectories(socketDir);
            try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(ctl))) {
                process = start(request, ctl);
                conn = accept(server, process, deadline, request);
            } finally {
                Files.deleteIfExists(ctl);
            }
            long pid = process.pid();
            if (conn.getPeerCredentials().getPid() != pid) {
                throw fail(program, "control connection came from pid " + conn.getPeerCredentials().getPid()
                        + ", not the helper " + pid, null);
            }
            conn.setAncillaryReceiveBufferSize(1024);
            InputStream in = conn.getInputStream();
            OutputStream out = conn.getOutputStream();
            setTimeout(conn, deadline);
            String hello = readLine(in);
            if (!("PID " + pid).equals(hello)) {
                throw fail(program, "spawn helper said '" + hello + "' instead of its pid", null);
            }
            long hookTimeoutMs = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            for (PreExecHook hook : request.hooks()) {
                List<PassedSocket> mine = new ArrayList<>();
                for (Path sock : hook.sockets()) {
                    setTimeout(conn, deadline);
                    write(out, "CONNECT " + hookTimeoutMs + " " + sock + "\n");
                    String r = readLine(in);
                    if (r == null) {
                        throw fail(program, "spawn helper exited while connecting to " + sock, null);
                    }
                    if (r.startsWith("ERR ")) {
                        RuntimeException e = hook.connectFailed(sock, r.substring(4));
                        throw e instanceof VirtException v ? v : fail(program, "hook '" + hook.name() + "': " + e, e);
                    }
                    FileDescriptor[] fds = conn.getReceivedFileDescriptors();
                    if (!r.equals("FD") || fds == null || fds.length != 1) {
                        closeAll(fds);
                        throw fail(program, "spawn helper sent no descriptor for " + sock + " ('" + r + "')", null);
                    }
                    PassedSocket ps = new PassedSocket(sock, fds[0]);
                    passed.add(ps);
                    mine.add(ps);
                }
                hook.beforeExec(pid, List.copyOf(mine));
                agreed.add(hook);
            }
            setTimeout(conn, deadline);
            write(out, "GO\n");
            String r = readLine(in);
            if (r != null) {
                throw fail(program, r.startsWith("EXECFAIL ") ? r.substring(9).replaceFirst("^\\d+ ", "")
                        : "unexpected word from the spawn helper: " + r, null);
            }
            execd = true;
            return new SpawnedProcess(pid, process);
        } catch (VirtException e) {
            throw e;
        } catch (SocketTimeoutException e) {
            throw fail(program, "spawn handshake took longer than " + request.timeout().toMillis() + " ms", e);
        } catch (IOException e) {
            throw fail(program, e.getMessage(), e);
        } catch (RuntimeException e) {
            throw fail(program, "hook failed: " + e, e);
        } finally {
            for (PassedSocket ps : passed) {
                ps.close();
            }
            if (!execd) {
                abort(conn, process);
                for (PreExecHook hook : agreed.reversed()) {
                    try {
                        hook.aborted(process == null ? -1 : process.pid(), null);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "pre-exec hook " + hook.name() + " failed to undo", e);
                    }
                }
            } else {
                closeQuietly(conn);
            }
        }
    }

    private Process start(SpawnRequest r, Path ctl) throws IOException {
        List<String> argv = new ArrayList<>();
        argv.add(helper.toString());
        argv.add("--control");
        argv.add(ctl.toString());
        argv.add("--timeout");
        argv.add(Long.toString(Math.max(1, r.timeout().toMillis())));
        argv.add("--umask");
        argv.add(Integer.toOctalString(r.umask()));
        for (Map.Entry<String, Long> l : r.rlimits().entrySet()) {
            argv.add("--rlimit");
            argv.add(l.getKey() + "=" + (l.getValue() < 0 ? "unlimited" : Long.toString(l.getValue())));
        }
        if (r.gid() >= 0) {
            argv.add("--gid");
            argv.add(Integer.toString(r.gid()));
        }
        if (r.uid() >= 0) {
            argv.add("--uid");
            argv.add(Integer.toString(r.uid()));
        }
        if (r.workingDir() != null) {
            argv.add("--cwd");
            argv.add(r.workingDir().toString());
        }
        argv.add("--");
        argv.addAll(r.argv());
        ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(new File("/dev/null"));
        if (r.logFile() != null) {
            pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(r.logFile().toFile()));
        } else {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
        }
        if (r.environment() != null) {
            pb.environment().clear();
            pb.environment().putAll(r.environment());
        }
        return pb.start();
    }

    private AFUNIXSocket accept(AFUNIXServerSocket server, Process p, long deadline, SpawnRequest r) throws IOException {
        while (true) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                throw new SocketTimeoutException("helper did not connect");
            }
            server.setSoTimeout((int) Math.min(left, 50));
            try {
                return server.accept();
            } catch (SocketTimeoutException e) {
                if (!p.isAlive()) {
                    throw fail(r.argv().get(0), "spawn helper exited with status " + p.exitValue()
                            + " before connecting" + logTail(r), null);
                }
            }
        }
    }

    private static void setTimeout(AFUNIXSocket s, long deadline) throws IOException {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
            throw new SocketTimeoutException("deadline passed");
        }
        s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
    }

    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        while (true) {
            int c = in.read();
            if (c < 0) {
                return buf.size() == 0 ? null : buf.toString(StandardCharsets.UTF_8);
            }
            if (c == '\n') {
                return buf.toString(StandardCharsets.UTF_8);
            }
            if (buf.size() > 8192) {
                throw new IOException("spawn helper sent an overlong line");
            }
            buf.write(c);
        }
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void abort(AFUNIXSocket conn, Process p) {
        if (conn != null) {
            try {
                write(conn.getOutputStream(), "ABORT\n");
            } catch (IOException e) {
                // it may be gone already
            }
            closeQuietly(conn);
        }
        if (p != null) {
            try {
                if (!p.waitFor(2, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    p.waitFor(2, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void closeAll(FileDescriptor[] fds) {
        if (fds == null) {
            return;
        }
        for (FileDescriptor fd : fds) {
            new PassedSocket(null, fd).close();
        }
    }

    private static void closeQuietly(AFUNIXSocket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // nothing to do
            }
        }
    }

    private static String logTail(SpawnRequest r) {
        if (r.logFile() == null) {
            return "";
        }
        try {
            String t = Files.readString(r.logFile()).strip();
            return t.isEmpty() ? "" : ": " + (t.length() > 300 ? t.substring(t.length() - 300) : t);
        } catch (IOException e) {
            return "";
        }
    }

    private static VirtException fail(String program, String why, Throwable cause) {
        return new VirtException(ErrorCode.OPERATION_FAILED, "cannot start " + program + ": " + why, cause);
    }
}
