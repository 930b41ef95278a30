package io.jvirt.driver.qemu.agent;

import io.jvirt.api.VirtException;
import io.jvirt.testkit.TestGuestImage;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.newsclub.net.unix.AFUNIXSocket;
import org.newsclub.net.unix.AFUNIXSocketAddress;

/**
 * The project's tiny test guest (scripts/build-test-guest) booted with raw QEMU under TCG, with a
 * virtio-serial agent channel on a unix socket and a QMP socket. The QEMU process is a child of
 * the test JVM and is killed by pid on {@link #close()}.
 */
final class TinyGuest implements AutoCloseable {
    private final Process process;
    final Path dir;
    final Path agentSocket;
    final Path qmpSocket;
    final Path serialLog;
    final long startedNanos;

    private TinyGuest(Process process, Path dir, long startedNanos) {
        this.process = process;
        this.dir = dir;
        this.agentSocket = dir.resolve("agent.sock");
        this.qmpSocket = dir.resolve("qmp.sock");
        this.serialLog = dir.resolve("serial.log");
        this.startedNanos = startedNanos;
    }

    /** Whether /dev/kvm here is the nested kvm_pvm hypervisor that cannot run the guest's kernel. */
    static boolean kvmPvm() {
        return Files.isDirectory(Path.of("/sys/module/kvm_pvm"));
    }

    /** Boots the guest in {@code dir} (created), optionally with a user-mode virtio NIC. */
    static TinyGuest boot(Path dir, boolean nic) throws IOException, InterruptedException {
        Path guest = TestGuestImage.locate();
        Files.createDirectories(dir);
        String accel = System.getenv().getOrDefault("JVIRT_TEST_ACCEL", "tcg,tb-size=16");
        List<String> cmd = new ArrayList<>(List.of("qemu-system-x86_64",
                "-accel", accel, "-machine", "pc", "-m", "128", "-smp", "1",
                "-nodefaults", "-no-user-config", "-display", "none",
                "-kernel", guest.resolve("vmlinuz").toString(),
                "-initrd", guest.resolve("initrd.img").toString(),
                "-append", "console=ttyS0 quiet",
                "-chardev", "file,id=ser0,path=" + dir.resolve("serial.log"), "-serial", "chardev:ser0",
                "-drive", "file=" + guest.resolve("disk.img") + ",format=raw,if=none,id=disk0,readonly=on",
                "-device", "virtio-blk-pci,drive=disk0",
                "-device", "virtio-serial-pci,id=virtio-serial0",
                "-chardev", "socket,id=charagent,path=" + dir.resolve("agent.sock") + ",server=on,wait=off",
                "-device", "virtserialport,chardev=charagent,id=channel0,name=org.qemu.guest_agent.0",
                "-device", "virtio-balloon-pci",
                "-qmp", "unix:" + dir.resolve("qmp.sock") + ",server=on,wait=off"));
        if (nic) {
            cmd.addAll(List.of("-netdev", "user,id=net0", "-device", "virtio-net-pci,netdev=net0,mac=52:54:00:6a:76:01"));
        }
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("qemu.log").toFile()).start();
        return new TinyGuest(p, dir, t0);
    }

    /** QEMU's pid. */
    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process.isAlive();
    }

    /** Pings until the agent answers; returns the time from QEMU's start to that first reply. */
    Duration awaitAgent(AgentClient client, Duration max) throws InterruptedException {
        long deadline = System.nanoTime() + max.toNanos();
        VirtException last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("QEMU exited (" + process.exitValue() + ") before the agent answered: "
                        + describe());
            }
            try {
                client.execute("guest-ping", null, AgentTimeout.of(Duration.ofMillis(500)));
                return Duration.ofNanos(System.nanoTime() - startedNanos);
            } catch (VirtException e) {
                last = e;
                Thread.sleep(20);
            }
        }
        throw new IllegalStateException("the guest agent did not answer within " + max + " (last: " + last + "); "
                + describe());
    }

    /** Sends one QMP command over a fresh connection to the monitor and returns its reply line. */
    String qmp(String command) throws IOException {
        try (AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(qmpSocket))) {
            s.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            in.readLine(); // greeting
            out.write("{\"execute\":\"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            readReturn(in);
            out.write(("{\"execute\":\"" + command + "\"}\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return readReturn(in);
        }
    }

    /**
     * Holds a QMP connection open and hands every event line to {@code onEvent} on a daemon thread,
     * as the driver's monitor will. While it is open, {@link #qmp} cannot connect (QMP serves one
     * client); close it first.
     */
    AutoCloseable watchQmpEvents(java.util.function.Consumer<String> onEvent) throws IOException {
        AFUNIXSocket s = AFUNIXSocket.connectTo(AFUNIXSocketAddress.of(qmpSocket));
        BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        OutputStream out = s.getOutputStream();
        s.setSoTimeout(10_000);
        in.readLine(); // greeting
        out.write("{\"execute\":\"qmp_capabilities\"}\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
        readReturn(in);
        s.setSoTimeout(0);
        Thread.ofPlatform().daemon().name("qmp-events").start(() -> {
            try {
                for (String line; (line = in.readLine()) != null; ) {
                    if (line.contains("\"event\"")) {
                        onEvent.accept(line);
                    }
                }
            } catch (IOException e) {
                // closed
            }
        });
        return s::close;
    }

    private static String readReturn(BufferedReader in) throws IOException {
        for (String line; (line = in.readLine()) != null; ) {
            if (line.contains("\"return\"") || line.contains("\"error\"")) {
                return line;
            }
        }
        throw new IOException("QMP closed before replying");
    }

    /** Waits for QEMU to exit; true if it did within {@code max}. */
    boolean awaitExit(Duration max) throws InterruptedException {
        return process.waitFor(max.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The serial console and QEMU's own log, for failure messages. */
    String describe() {
        return "serial: " + read(serialLog) + " | qemu: " + read(dir.resolve("qemu.log"));
    }

    String serial() {
        return read(serialLog);
    }

    private static String read(Path p) {
        try {
            String s = Files.readString(p, StandardCharsets.ISO_8859_1);
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(" + p.getFileName() + " unreadable: " + e.getMessage() + ")";
        }
    }

    /** Kills QEMU by pid and waits for it. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
