package io.jvirt.bench.lockd;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.Virt;
import io.jvirt.bench.Report;
import io.jvirt.bench.Samples;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The start latency a lock manager adds: a firmware-only TCG guest with one raw disk started
 * ({@code createDomain} until running) and destroyed through the QEMU driver on two embed roots
 * in the same run, alternately: one with {@code lock_manager = "lockd"} (register in the pre-exec
 * window, acquire before {@code cont}), one with the default {@code nop}.
 */
final class LockdStartLatency {
    private LockdStartLatency() {
    }

    static void run(Report report, Path dir, Path socket, int runs) throws Exception {
        Path disk = dir.resolve("start-disk.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        Path lockdRoot = Files.createDirectories(dir.resolve("root-lockd"));
        Files.writeString(lockdRoot.resolve("qemu.conf"), "lock_manager = \"lockd\"\n");
        Files.writeString(lockdRoot.resolve("qemu-lockd.conf"), "socket = \"" + socket + "\"\nfile_lockspace_dir = \""
                + dir.resolve("lockspace") + "\"\n");
        Path nopRoot = Files.createDirectories(dir.resolve("root-nop"));
        String xml = """
                <domain type='qemu'>
                  <name>lockbench</name>
                  <memory unit='MiB'>64</memory>
                  <vcpu>1</vcpu>
                  <os><type arch='x86_64' machine='pc'>hvm</type></os>
                  <devices><disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='%s'/>
                  <target dev='vda' bus='virtio'/></disk></devices>
                </domain>""".formatted(disk);
        Samples lockd = new Samples(runs);
        Samples nop = new Samples(runs);
        try (Connection withLockd = Virt.open("qemu:///embed?root=" + lockdRoot);
             Connection withNop = Virt.open("qemu:///embed?root=" + nopRoot)) {
            withLockd.capabilities(); // probe QEMU once, off the start path
            withNop.capabilities();
            for (int i = -2; i < runs; i++) {
                long l = startStop(withLockd, xml);
                long n = startStop(withNop, xml);
                if (i >= 0) {
                    lockd.add(l);
                    nop.add(n);
                }
            }
        }
        report.note(runs + " starts each, alternating, after 2 warm-up rounds; guest: TCG, firmware only, one raw disk");
        lockd.reportMillis(report, "start_lockd_ms");
        nop.reportMillis(report, "baseline.start_nop_ms");
        report.figure("start_added_by_lockd_ms.p50", lockd.percentileMillis(50) - nop.percentileMillis(50), "ms");
        report.ratio("start_lockd_vs_nop.p50", lockd.percentileMillis(50) / nop.percentileMillis(50));
    }

    private static long startStop(Connection c, String xml) {
        long t0 = System.nanoTime();
        Domain d = c.createDomain(xml);
        long t = System.nanoTime() - t0;
        d.destroy();
        return t;
    }
}
