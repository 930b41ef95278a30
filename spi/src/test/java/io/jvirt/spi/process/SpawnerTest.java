package io.jvirt.spi.process;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.newsclub.net.unix.AFUNIXServerSocket;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The spawn helper with real processes and a real unix socket server. */
@Timeout(30)
class SpawnerTest {
    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killStarted() throws InterruptedException {
        for (Process p : started) {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private Spawner spawner() {
        return Spawner.create(dir.resolve("ctl"));
    }

    private SpawnedProcess spawn(SpawnRequest r) {
        SpawnedProcess sp = spawner().spawn(r);
        started.add(sp.process());
        return sp;
    }

    /** A hook that connects to {@code sock} and says hello over the passed descriptor. */
    private static PreExecHook helloHook(Path sock, AtomicLong sawPid) {
        return new PreExecHook() {
            @Override
            public String name() {
                return "hello";
            }

            @Override
            public List<Path> sockets() {
                return List.of(sock);
            }

            @Override
            public void beforeExec(long pid, List<PassedSocket> sockets) {
                sawPid.set(pid);
                try {
                    sockets.get(0).out().write(("register " + pid + "\n").getBytes(StandardCharsets.UTF_8));
                    int ack = sockets.get(0).in().read();
                    if (ack != 'k') {
                        throw new VirtException(ErrorCode.OPERATION_FAILED, "no ack");
                    }
                } catch (IOException e) {
                    throw new VirtException(ErrorCode.OPERATION_FAILED, e.getMessage(), e);
                }
            }
        };
    }

    /**
     * The exec'd program's descriptors once it has settled: right after exec the dynamic loader
     * briefly holds ld.so.cache and the libraries open, so wait (bounded) until the process sleeps
     * and two readings agree.
     */
    private static List<String> fds(long pid) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        List<String> last = null;
        while (true) {
            List<String> now;
            try (var s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
                now = s.map(p -> p.getFileName().toString()).sorted().toList();
            }
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            if ((state == 'S' && now.equals(last)) || System.nanoTime() > deadline) {
                return now;
            }
            last = now;
            Thread.sleep(5);
        }
    }

    @Test
    void hookConnectionBelongsToTheExecdProcessAndLivesExactlyAsLongAsIt() throws Exception {
        Path sock = dir.resolve("lockd.sock");
        try (AFUNIXServerSocket server = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(sock))) {
            CompletableFuture<long[]> serverSide = new CompletableFuture<>();
            CompletableFuture<Integer> eof = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try (AFUNIXSocket c = server.accept()) {
                    long peer = c.getPeerCredentials().getPid();
                    BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8));
                    String line = r.readLine();
                    c.getOutputStream().write('k');
                    serverSide.complete(new long[]{peer, Long.parseLong(line.substring(9))});
                    eof.complete(c.getInputStream().read()); // -1 only once every copy of the connection is closed
                } catch (Exception e) {
                    serverSide.completeExceptionally(e);
                    eof.completeExceptionally(e);
                }
            });
            AtomicLong hookPid = new AtomicLong();
            SpawnedProcess sp = spawn(SpawnRequest.builder(List.of("/bin/sleep", "30"))
                    .hook(helloHook(sock, hookPid)).logFile(dir.resolve("log")).build());
            long[] seen = serverSide.get(5, TimeUnit.SECONDS);
            assertEquals(sp.pid(), seen[0], "SO_PEERCRED pid of the hook connection");
            assertEquals(sp.pid(), seen[1]);
            assertEquals(sp.pid(), hookPid.get());
            String cmdline = Files.readString(Path.of("/proc/" + sp.pid() + "/cmdline")).replace('\0', ' ').strip();
            assertEquals("/bin/sleep 30", cmdline, "exec'd in place of the helper");
            // exactly 0-2 and the connected socket
            List<String> fds = fds(sp.pid());
            assertEquals(4, fds.size(), fds.toString());
            int socketFds = 0;
            for (String fd : fds) {
                if (Files.readSymbolicLink(Path.of("/proc/" + sp.pid() + "/fd/" + fd)).toString().startsWith("socket:")) {
                    socketFds++;
                }
            }
            assertEquals(1, socketFds);
            // own session
            String stat = Files.readString(Path.of("/proc/" + sp.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            assertEquals(Long.toString(sp.pid()), f[3], "session id");
            // the JVM kept no copy: killing the program ends the connection
            assertFalse(eof.isDone(), "connection ended while the program runs");
            sp.process().destroyForcibly();
            assertEquals(-1, eof.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void abortMeansNothingRunsAndEarlierHooksAreToldToUndo() throws Exception {
        Path marker = dir.resolve("ran");
        List<String> calls = new ArrayList<>();
        PreExecHook first = new PreExecHook() {
            @Override
            public String name() {
                return "first";
            }

            @Override
            public List<Path> sockets() {
                return List.of();
            }

            @Override
            public void beforeExec(long pid, List<PassedSocket> sockets) {
                calls.add("first " + pid);
            }

            @Override
            public void aborted(long pid, Throwable cause) {
                calls.add("undo " + pid);
            }
        };
        VirtException refusal = new VirtException(ErrorCode.RESOURCE_BUSY, "resource busy: /disk is locked by someone");
        AtomicLong pidSeen = new AtomicLong();
        PreExecHook refuse = new PreExecHook() {
            @Override
            public String name() {
                return "refuse";
            }

            @Override
            public List<Path> sockets() {
                return List.of();
            }

            @Override
            public void beforeExec(long pid, List<PassedSocket> sockets) {
                pidSeen.set(pid);
                throw refusal;
            }
        };
        VirtException e = assertThrows(VirtException.class, () -> spawn(SpawnRequest.builder(
                List.of("/bin/sh", "-c", "touch " + marker)).hook(first).hook(refuse).build()));
        assertSame(refusal, e);
        assertEquals(List.of("first " + pidSeen.get(), "undo " + pidSeen.get()), calls);
        assertTrue(ProcessHandle.of(pidSeen.get()).isEmpty() || !ProcessHandle.of(pidSeen.get()).get().isAlive(),
                "helper still alive");
        Thread.sleep(200);
        assertFalse(Files.exists(marker), "the program ran despite the abort");
    }

    @Test
    void descriptorsOfTheJvmAreNotInherited() throws Exception {
        try (FileInputStream open = new FileInputStream("/etc/hostname");
             AFUNIXServerSocket other = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(dir.resolve("other.sock")))) {
            SpawnedProcess sp = spawn(SpawnRequest.builder(List.of("/bin/sleep", "30")).build());
            assertEquals(List.of("0", "1", "2"), fds(sp.pid()));
        }
    }

    @Test
    void umaskAndLimitsApply() throws Exception {
        Path log = dir.resolve("out.log");
        SpawnedProcess sp = spawn(SpawnRequest.builder(List.of("/bin/sh", "-c", "umask; ulimit -n; pwd"))
                .umask(0027).rlimit("nofile", 123).workingDir(dir).logFile(log).build());
        assertTrue(sp.process().waitFor(5, TimeUnit.SECONDS));
        List<String> lines = Files.readAllLines(log);
        assertEquals(List.of("0027", "123", dir.toString()), lines);
    }

    @Test
    void userSwitchIsAppliedOrFailsClearly() throws Exception {
        boolean root = "root".equals(System.getProperty("user.name"));
        SpawnRequest r = SpawnRequest.builder(List.of("/bin/sleep", "30")).user(65534, 65534).build();
        if (root) {
            SpawnedProcess sp = spawn(r);
            String status = Files.readString(Path.of("/proc/" + sp.pid() + "/status"));
            assertTrue(status.contains("\nUid:\t65534\t65534\t65534\t65534"), status);
            assertTrue(status.contains("\nGid:\t65534\t65534\t65534\t65534"), status);
        } else {
            VirtException e = assertThrows(VirtException.class, () -> spawn(r));
            assertTrue(e.getMessage().contains("setgid"), e.getMessage());
        }
    }

    @Test
    void execFailureAndConnectFailureAreClearErrors() {
        VirtException e = assertThrows(VirtException.class,
                () -> spawn(SpawnRequest.builder(List.of("/no/such/program")).build()));
        assertEquals(ErrorCode.OPERATION_FAILED, e.code());
        assertTrue(e.getMessage().contains("/no/such/program") && e.getMessage().contains("No such file"), e.getMessage());
        Path missing = dir.resolve("nobody-listens.sock");
        VirtException c = assertThrows(VirtException.class, () -> spawn(SpawnRequest.builder(List.of("/bin/true"))
                .hook(helloHook(missing, new AtomicLong())).build()));
        assertTrue(c.getMessage().contains("hook 'hello'") && c.getMessage().contains("connect " + missing), c.getMessage());
    }

    @Test
    void aHookThatHangsIsBoundedByTheTimeout() {
        PreExecHook slowServer = helloHook(dir.resolve("silent.sock"), new AtomicLong());
        Thread.ofVirtual().start(() -> {
            try (AFUNIXServerSocket s = AFUNIXServerSocket.bindOn(AFUNIXSocketAddress.of(dir.resolve("silent.sock")))) {
                AFUNIXSocket c = s.accept();
                Thread.sleep(5000); // never acks
                c.close();
            } catch (Exception ignored) {
                // test ends
            }
        });
        long t0 = System.nanoTime();
        try {
            Thread.sleep(100);
        } catch (InterruptedException ignored) {
            Thread.currentThread().interrupt();
        }
        VirtException e = assertThrows(VirtException.class, () -> spawn(SpawnRequest.builder(List.of("/bin/true"))
                .hook(slowServer).timeout(Duration.ofMillis(800)).build()));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < 4000, "took " + ms + " ms");
        assertEquals(ErrorCode.OPERATION_FAILED, e.code());
    }
}
