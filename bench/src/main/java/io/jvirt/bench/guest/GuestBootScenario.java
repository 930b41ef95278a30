package io.jvirt.bench.guest;

import io.jvirt.testkit.TestGuestImage;

import com.google.auto.service.AutoService;
import io.jvirt.api.VirtException;
import io.jvirt.bench.Report;
import io.jvirt.bench.Scenario;
import io.jvirt.driver.qemu.agent.AgentClient;
import io.jvirt.driver.qemu.agent.AgentTimeout;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * {@code scripts/bench guest-boot}: boot of the tiny test guest with raw QEMU under TCG, from
 * process start to the guest agent's first reply to guest-ping. jvirt's {@link AgentClient}
 * (guest-sync-delimited, then guest-ping) is measured against a bare socket client that only
 * sends guest-ping, in alternating runs of the same guest.
 *
 * <p>System properties: {@code jvirt.bench.guest.runs} (default 5 of each),
 * {@code jvirt.bench.guest.accel} (default {@code tcg}), {@code jvirt.bench.guest.memory} (MiB,
 * default 128).
 */
@AutoService(Scenario.class)
public final class GuestBootScenario implements Scenario {
    private static final Duration BOOT_LIMIT = Duration.ofSeconds(120);

    @Override
    public String name() {
        return "guest-boot";
    }

    @Override
    public String description() {
        return "tiny guest (raw QEMU, TCG): start to first guest-ping reply, jvirt agent client vs bare socket ping";
    }

    @Override
    public void run(Report report) throws Exception {
        int runs = Integer.getInteger("jvirt.bench.guest.runs", 5);
        String accel = System.getProperty("jvirt.bench.guest.accel", "tcg");
        int memory = Integer.getInteger("jvirt.bench.guest.memory", 128);
        Path guest = TestGuestImage.locate();
        if (Files.isDirectory(Path.of("/sys/module/kvm_pvm"))) {
            report.note("/dev/kvm here is the nested kvm_pvm hypervisor, which cannot run this kernel: using " + accel);
        }
        report.note("guest " + guest.toRealPath() + ", " + memory + " MiB, -accel " + accel + ", " + runs
                + " runs each, " + Runtime.getRuntime().availableProcessors() + " cpus");
        List<Double> jvirt = new ArrayList<>();
        List<Double> raw = new ArrayList<>();
        List<Double> rss = new ArrayList<>();
        Path work = Files.createTempDirectory("jvirt-bench-guest");
        try {
            for (int i = 0; i < runs; i++) {
                jvirt.add(bootOnce(guest, work.resolve("j" + i), accel, memory, true, rss));
                raw.add(bootOnce(guest, work.resolve("r" + i), accel, memory, false, rss));
            }
        } finally {
            deleteTree(work);
        }
        double j = median(jvirt);
        double r = median(raw);
        report.figure("boot_to_agent_ms.p50", j, "ms");
        report.figure("boot_to_agent_ms.min", jvirt.stream().mapToDouble(d -> d).min().orElse(0), "ms");
        report.figure("boot_to_agent_ms.max", jvirt.stream().mapToDouble(d -> d).max().orElse(0), "ms");
        report.figure("raw_boot_to_agent_ms.p50", r, "ms");
        report.figure("qemu_rss_mib.p50", median(rss), "MiB");
        report.ratio("boot_vs_raw", j / r);
    }

    private static double bootOnce(Path guest, Path dir, String accel, int memory, boolean useClient, List<Double> rss)
            throws Exception {
        Files.createDirectories(dir);
        Path agent = dir.resolve("agent.sock");
        List<String> cmd = List.of("qemu-system-x86_64", "-accel", accel, "-machine", "pc",
                "-m", Integer.toString(memory), "-smp", "1", "-nodefaults", "-no-user-config", "-display", "none",
                "-kernel", guest.resolve("vmlinuz").toString(), "-initrd", guest.resolve("initrd.img").toString(),
                "-append", "console=ttyS0 quiet",
                "-chardev", "file,id=ser0,path=" + dir.resolve("serial.log"), "-serial", "chardev:ser0",
                "-drive", "file=" + guest.resolve("disk.img") + ",format=raw,if=none,id=disk0,readonly=on",
                "-device", "virtio-blk-pci,drive=disk0",
                "-device", "virtio-serial-pci,id=virtio-serial0",
                "-chardev", "socket,id=charagent,path=" + agent + ",server=on,wait=off",
                "-device", "virtserialport,chardev=charagent,id=channel0,name=org.qemu.guest_agent.0",
                "-device", "virtio-balloon-pci");
        long t0 = System.nanoTime();
        Process qemu = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile()).start();
        try {
            long deadline = t0 + BOOT_LIMIT.toNanos();
            if (useClient) {
                try (AgentClient client = new AgentClient(agent, Duration.ofMillis(500))) {
                    while (true) {
                        check(qemu, dir, deadline);
                        try {
                            client.execute("guest-ping", null, AgentTimeout.of(Duration.ofMillis(500)));
                            break;
                        } catch (VirtException e) {
                            Thread.sleep(10);
                        }
                    }
                }
            } else {
                rawPing(qemu, dir, agent, deadline);
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            rss.add(rssMiB(qemu.pid()));
            return ms;
        } finally {
            qemu.destroy();
            if (!qemu.waitFor(5, TimeUnit.SECONDS)) {
                qemu.destroyForcibly();
                qemu.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    /** The baseline: a bare client that connects and sends guest-ping until a reply comes. */
    private static void rawPing(Process qemu, Path dir, Path agent, long deadline) throws Exception {
        AFUNIXSocket s = null;
        try {
            while (s == null) {
                check(qemu, dir, deadline);
                try {
                    s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(agent));
                } catch (IOException e) {
                    Thread.sleep(10);
                }
            }
            s.setSoTimeout(200);
            OutputStream out = s.getOutputStream();
            InputStream in = s.getInputStream();
            byte[] ping = "{\"execute\":\"guest-ping\"}\n".getBytes(StandardCharsets.US_ASCII);
            byte[] buf = new byte[4096];
            while (true) {
                check(qemu, dir, deadline);
                out.write(ping);
                out.flush();
                try {
                    int n = in.read(buf);
                    if (n < 0) {
                        throw new IOException("QEMU closed the agent socket");
                    }
                    if (new String(buf, 0, n, StandardCharsets.US_ASCII).contains("\"return\"")) {
                        return;
                    }
                } catch (SocketTimeoutException e) {
                    // not up yet
                }
            }
        } finally {
            if (s != null) {
                s.close();
            }
        }
    }

    private static void check(Process qemu, Path dir, long deadline) throws IOException {
        if (!qemu.isAlive()) {
            throw new IOException("QEMU exited with " + qemu.exitValue() + ": "
                    + Files.readString(dir.resolve("qemu.log")));
        }
        if (System.nanoTime() > deadline) {
            throw new IOException("the guest agent did not answer within " + BOOT_LIMIT + "; serial console: "
                    + Files.readString(dir.resolve("serial.log"), StandardCharsets.ISO_8859_1));
        }
    }

    private static double rssMiB(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone already
        }
        return Double.NaN;
    }

    private static double median(List<Double> values) {
        List<Double> v = values.stream().filter(d -> !d.isNaN()).sorted().toList();
        if (v.isEmpty()) {
            return Double.NaN;
        }
        int n = v.size();
        return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
