package io.jvirt.testkit;

import io.jvirt.spi.lock.AcquireFlag;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockOwner;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockSession;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in for QEMU in its pre-exec window, for lock-manager tests: a real child process
 * connects to each of the session's {@code connectPaths()} (a lock daemon's socket), hands the
 * connected descriptors to the test (SCM_RIGHTS), keeps its own copies open and waits. The test
 * registers the child as the owner over them ({@code REGISTER_ONLY | RESTRICT}) and closes its
 * copies with a plain close(2), never through a socket object (whose shutdown would end the
 * child's session too). The owner's locks live as long as the child.
 */
public final class LockOwnerProcess implements AutoCloseable {
    private static final String PY = """
            import socket, sys
            conns = []
            for p in sys.argv[2:]:
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                c.connect(p)
                conns.append(c)
            h = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            h.connect(sys.argv[1])
            socket.send_fds(h, [b"x"], [c.fileno() for c in conns])
            h.close()
            print("holding", flush=True)
            sys.stdin.read()
            """;

    private final Process process;
    private final LockSession session;

    private LockOwnerProcess(Process process, LockSession session) {
        this.process = process;
        this.session = session;
    }

    /**
     * Starts the child and registers it as the owner of a new session of {@code manager}.
     *
     * @param tmp a directory for the hand-over socket
     */
    public static LockOwnerProcess start(LockManager manager, String name, List<LockResource> resources, Path tmp) throws Exception {
        Path handoff = tmp.resolve("h-" + UUID.randomUUID().toString().substring(0, 8) + ".sock");
        try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(handoff))) {
            server.setSoTimeout(20_000);
            LockSession probe = manager.session(new LockOwner(UUID.randomUUID(), "probe", -1, 1, "qemu:///system"), List.of());
            List<String> cmd = new ArrayList<>(List.of("python3", "-c", PY, handoff.toString()));
            probe.connectPaths().forEach(p -> cmd.add(p.toString()));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try {
                LockSession session = manager.session(new LockOwner(UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)),
                        name, 1, p.pid(), "qemu:///system"), resources);
                // junixsocket closes received descriptors with the socket: register while it is open
                try (AFUNIXSocket s = server.accept()) {
                    s.setAncillaryReceiveBufferSize(1024);
                    s.setSoTimeout(20_000);
                    if (s.getInputStream().read() < 0) {
                        throw new IllegalStateException("owner child sent nothing");
                    }
                    FileDescriptor[] fds = s.getReceivedFileDescriptors();
                    if (fds == null) {
                        throw new IllegalStateException("owner child sent no descriptor");
                    }
                    try {
                        session.acquire(null, EnumSet.of(AcquireFlag.REGISTER_ONLY, AcquireFlag.RESTRICT), List.of(fds));
                    } finally {
                        for (FileDescriptor fd : fds) {
                            new FileInputStream(fd).close(); // plain close(2): the child keeps its copy
                        }
                    }
                }
                String line = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8)).readLine();
                if (!"holding".equals(line)) {
                    throw new IllegalStateException("owner child said " + line);
                }
                return new LockOwnerProcess(p, session);
            } catch (Exception | Error e) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw e;
            }
        }
    }

    /** The owner's lock session. */
    public LockSession session() {
        return session;
    }

    /** The child's pid. */
    public long pid() {
        return process.pid();
    }

    /** kill -9, and wait until the process is gone. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        kill9();
    }
}
