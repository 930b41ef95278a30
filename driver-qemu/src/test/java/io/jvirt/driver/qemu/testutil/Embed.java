package io.jvirt.driver.qemu.testutil;

import io.jvirt.testkit.FirmwareGuest;

import io.jvirt.driver.qemu.process.ProcInfo;
import io.jvirt.driver.qemu.process.StatusFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** Helpers for tests on an embed root: XML of tiny guests, and killing every QEMU a root still runs. */
public final class Embed {
    private Embed() {
    }

    /** A firmware-only TCG guest. */
    public static String tinyXml(String name) {
        return FirmwareGuest.xml(name);
    }

    /** A firmware-only TCG guest with one raw virtio disk (the file need not exist). */
    public static String diskXml(String name, Path disk) {
        return FirmwareGuest.xml(name, FirmwareGuest.rawDisk(disk));
    }

    /** The URI of an embed root. */
    public static String uri(Path root) {
        return "qemu:///embed?root=" + root;
    }

    /** The pids named by the root's status files. */
    public static List<Long> pids(Path root) throws IOException {
        List<Long> out = new ArrayList<>();
        Path run = root.resolve("run");
        if (!Files.isDirectory(run)) {
            return out;
        }
        try (Stream<Path> s = Files.list(run)) {
            for (Path f : s.filter(p -> p.getFileName().toString().endsWith(".status.json")).toList()) {
                try {
                    out.add(StatusFile.read(f).pid());
                } catch (IOException e) {
                    // half-written or gone
                }
            }
        }
        return out;
    }

    /** Kills (SIGKILL) every QEMU of the root whose command line names the root: the tests' safety net. */
    public static void killAll(Path root) throws IOException {
        for (long pid : pids(root)) {
            List<String> cmd = ProcInfo.cmdline(pid);
            if (String.join(" ", cmd).contains(root.toString())) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
                ProcInfo.awaitDeath(pid, 5_000_000_000L);
            }
        }
    }
}
