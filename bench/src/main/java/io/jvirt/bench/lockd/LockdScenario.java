package io.jvirt.bench.lockd;

import com.google.auto.service.AutoService;
import io.jvirt.bench.Report;
import io.jvirt.bench.Samples;
import io.jvirt.bench.Scenario;
import io.jvirt.spi.lock.AcquireFlag;
import io.jvirt.spi.lock.ConfFile;
import io.jvirt.spi.lock.LockManager;
import io.jvirt.spi.lock.LockManagers;
import io.jvirt.spi.lock.LockOwner;
import io.jvirt.spi.lock.LockResource;
import io.jvirt.spi.lock.LockSession;
import io.jvirt.spi.lock.OfdLock;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code lockd}: acquire + release of one exclusive disk lock through the {@code lockd} plugin and
 * a jvirt-lockd daemon (its own JVM, own socket and lockspace in a temp dir), against the
 * same-run baseline of a raw OFD lock + unlock on a file in this process. Measured alternately.
 * The owner is this JVM, registered over its own connection as QEMU would be over the child's.
 * Then the start latency of a tiny TCG guest through the QEMU driver with {@code lockd} vs
 * {@code nop} in the same run ({@link LockdStartLatency}).
 */
@AutoService(Scenario.class)
public final class LockdScenario implements Scenario {
    private final int warmup = Integer.getInteger("jvirt.bench.lockd.warmup", 300);
    private final int iterations = Integer.getInteger("jvirt.bench.lockd.iterations", 3000);
    // start latency of a tiny guest with lockd vs nop: see LockdStartLatency (jvirt.bench.lockd.starts pairs, default 40)

    @Override
    public String name() {
        return "lockd";
    }

    @Override
    public String description() {
        return "acquire+release of one disk lock via the lockd plugin and jvirt-lockd vs a raw in-process OFD lock+unlock;"
                + " QEMU guest start latency with lockd vs nop";
    }

    @Override
    public void run(Report report) throws Exception {
        Path dir = Files.createTempDirectory("jvirt-bench-lockd");
        Path socket = dir.resolve("lockd.sock");
        Path disk = Files.writeString(dir.resolve("disk.img"), "disk");
        Path raw = Files.writeString(dir.resolve("raw.lock"), "");
        Process daemon = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                "io.jvirt.lock.lockd.LockdMain", "--socket", socket.toString())
                .redirectError(dir.resolve("daemon.log").toFile()).start();
        try (AFUNIXSocket ownerConn = waitReady(daemon, socket);
             LockManager m = LockManagers.provider("lockd", getClass().getClassLoader()).create("qemu",
                     ConfFile.of("bench", Map.of("socket", socket.toString(),
                             "file_lockspace_dir", dir.resolve("lockspace").toString())))) {
            LockOwner owner = new LockOwner(UUID.randomUUID(), "bench", 1, ProcessHandle.current().pid(), "qemu:///system");
            LockSession s = m.session(owner, List.of(new LockResource.Disk(disk.toString(), LockResource.DiskMode.EXCLUSIVE)));
            s.acquire(null, EnumSet.of(AcquireFlag.REGISTER_ONLY, AcquireFlag.RESTRICT), List.of(ownerConn.getFileDescriptor()));
            Samples lockd = new Samples(iterations);
            Samples ofd = new Samples(iterations);
            Samples acquireOnly = new Samples(iterations);
            int fd = OfdLock.open(raw, OfdLock.O_RDWR);
            long lockdTotal = 0;
            try {
                for (int i = 0; i < warmup + iterations; i++) {
                    long t0 = System.nanoTime();
                    if (!OfdLock.tryLock(fd, 0, 1, true)) {
                        throw new IllegalStateException("raw lock failed");
                    }
                    OfdLock.unlock(fd, 0, 1);
                    long t1 = System.nanoTime();
                    s.acquire(null, Set.of(), List.of());
                    long tAcquired = System.nanoTime();
                    s.release();
                    long t2 = System.nanoTime();
                    if (i >= warmup) {
                        acquireOnly.add(tAcquired - t1);
                        ofd.add(t1 - t0);
                        lockd.add(t2 - t1);
                        lockdTotal += t2 - t1;
                    }
                }
            } finally {
                OfdLock.close(fd);
            }
            report.note(iterations + " rounds after " + warmup + " warm-up; daemon in its own JVM, indirect lease files");
            lockd.reportMicros(report, "acquire_release_us");
            report.figure("acquire_release_us.p99", lockd.percentileMicros(99), "us");
            acquireOnly.reportMicros(report, "acquire_us"); // what a start adds before cont
            report.figure("acquire_release.ops_per_s", iterations / (lockdTotal / 1e9), "ops/s");
            ofd.reportMicros(report, "baseline.ofd_lock_unlock_us");
            report.figure("baseline.ofd_lock_unlock_us.p99", ofd.percentileMicros(99), "us");
            report.ratio("acquire_release_vs_ofd.p50", lockd.percentileMicros(50) / ofd.percentileMicros(50));
            s.close();
            LockdStartLatency.run(report, dir, socket, Integer.getInteger("jvirt.bench.lockd.starts", 40));
        } finally {
            daemon.destroy();
            if (!daemon.waitFor(10, TimeUnit.SECONDS)) {
                daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
            try (Stream<Path> w = Files.walk(dir)) {
                w.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static AFUNIXSocket waitReady(Process daemon, Path socket) throws Exception {
        BufferedReader r = new BufferedReader(new InputStreamReader(daemon.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        if (line == null || !line.startsWith("jvirt-lockd ready")) {
            throw new IllegalStateException("jvirt-lockd did not start: " + line);
        }
        return AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(socket));
    }
}
