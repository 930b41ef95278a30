package io.jvirt.driver.qemu.lock;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.testutil.Embed;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * DAC labelling by the QEMU driver, as root, with {@code user = "jvirt-qemu-test"} in the embed
 * root's {@code qemu.conf} (the user is created with {@code useradd --system} when missing):
 * QEMU runs as that user, its disk and log belong to it while it runs, and the original owner and
 * mode come back at stop, also when the driver was restarted in between.
 */
@Timeout(120)
class QemuDacLabelTest {
    static final String USER = "jvirt-qemu-test";
    static int uid;
    static int gid;

    @TempDir
    Path root;

    @BeforeAll
    static void user() throws Exception {
        assertEquals("root", System.getProperty("user.name"), "the DAC tests run as root (they chown files)");
        if (run("id", "-u", USER).isEmpty()) {
            run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER);
        }
        uid = Integer.parseInt(run("id", "-u", USER));
        gid = Integer.parseInt(run("id", "-g", USER));
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        return p.exitValue() == 0 ? out : "";
    }

    @AfterEach
    void killLeftovers() throws Exception {
        Embed.killAll(root);
    }

    private static int attr(Path p, String name) throws Exception {
        return (Integer) Files.getAttribute(p, "unix:" + name) & (name.equals("mode") ? 07777 : -1);
    }

    private static int processUid(long pid) throws Exception {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("Uid:")) {
                return Integer.parseInt(line.split("\\s+")[1]);
            }
        }
        throw new AssertionError("no Uid line for pid " + pid);
    }

    @Test
    void labelledWhileRunningRestoredAfterStopAcrossADriverRestart() throws Exception {
        Files.setAttribute(root, "unix:mode", 0755); // QEMU's user must reach its run directory and images
        Files.writeString(root.resolve("qemu.conf"), "user = \"" + USER + "\"\n");
        Path images = Files.createDirectories(root.resolve("images"));
        Path disk = images.resolve("disk.img");
        try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
            f.setLength(1 << 20);
        }
        Files.setAttribute(disk, "unix:uid", 4242);
        Files.setAttribute(disk, "unix:gid", 4343);
        Files.setAttribute(disk, "unix:mode", 0440);
        String xml = QemuLockdTwoHostsTest.xml("dac1", disk, null, null);
        Path log = root.resolve("log/dac1.log");

        try (Connection c = Virt.open(Embed.uri(root))) {
            Domain d = c.createDomain(xml);
            assertEquals(DomainState.RUNNING, d.state().state());
            long pid = Embed.pids(root).getFirst();
            assertEquals(uid, processUid(pid), "QEMU runs as " + USER);
            assertEquals(uid, attr(disk, "uid"));
            assertEquals(gid, attr(disk, "gid"));
            assertEquals(0640, attr(disk, "mode"), "owner read/write added");
            assertEquals(uid, attr(log, "uid"));
        }
        // the driver is gone (QEMU keeps running): a new instance must still restore at stop
        try (Connection c = Virt.open(Embed.uri(root))) {
            Domain d = c.lookupDomainByName("dac1");
            assertEquals(DomainState.RUNNING, d.state().state());
            assertEquals(uid, attr(disk, "uid"));
            d.destroy();
            assertEquals(4242, attr(disk, "uid"));
            assertEquals(4343, attr(disk, "gid"));
            assertEquals(0440, attr(disk, "mode"));
            assertEquals(0, attr(log, "uid"));

            // and a plain start/stop in one instance restores too
            d = c.createDomain(xml);
            assertEquals(uid, attr(disk, "uid"));
            d.destroy();
            assertEquals(4242, attr(disk, "uid"));
            assertEquals(0440, attr(disk, "mode"));
        }
    }
}
