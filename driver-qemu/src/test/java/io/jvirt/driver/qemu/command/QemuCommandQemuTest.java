package io.jvirt.driver.qemu.command;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.qemu.caps.CapsCache;
import io.jvirt.driver.qemu.caps.QemuCaps;
import io.jvirt.driver.qemu.monitor.QmpListener;
import io.jvirt.driver.qemu.monitor.QmpMonitor;
import io.jvirt.driver.qemu.testutil.Defs;
import io.jvirt.driver.qemu.testutil.TestQemu;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real QEMU accepts the command lines the builder writes, with every device kind at once. */
@Timeout(60)
class QemuCommandQemuTest {
    @TempDir
    Path dir;

    @Test
    void qemuStartsWithEveryDeviceKind() throws Exception {
        Path raw = dir.resolve("a.raw");
        Path qcow = dir.resolve("b.qcow2");
        run("qemu-img", "create", "-q", "-f", "raw", raw.toString(), "8M");
        run("qemu-img", "create", "-q", "-f", "qcow2", qcow.toString(), "8M");
        Files.createDirectories(dir.resolve("ch"));
        DomainDef def = Defs.withDevices(Defs.tiny("every,device"),
                Defs.disk(raw.toString(), "raw", "vda", null),
                Defs.disk(qcow.toString(), "qcow2", "sdb", null),
                new Device.Disk("file", "cdrom", null, null, "hdc", "ide", true, false, null, null, null),
                new Device.Interface("user", "52:54:00:aa:bb:cc", "virtio", null, null, null),
                new Device.Serial(new Device.CharSource("file", dir.resolve("serial.log").toString(), null), 0, null),
                new Device.Console(new Device.CharSource("file", dir.resolve("serial.log").toString(), null), "serial", 0, null),
                Defs.agentChannel(null),
                new Device.Memballoon("virtio", 0, null));
        QemuCaps caps = new CapsCache(dir.resolve("caps")).get(Path.of(TestQemu.BINARY));
        CommandPaths paths = new CommandPaths(dir.resolve("mon.sock"), dir.resolve("qemu.pid"), dir.resolve("ch"));
        QemuCommand cmd = new QemuCommandBuilder(caps, CommandOptions.defaults()).build(def, paths);
        Process p = new ProcessBuilder(cmd.argv()).redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try (QmpMonitor mon = QmpMonitor.connect(paths.monitorSocket(), QmpListener.ignoring(),
                QmpMonitor.Options.defaults(), p::isAlive)) {
            assertEquals("prelaunch", mon.execute("query-status").path("status").asText());
            Set<String> qdevs = new HashSet<>();
            for (JsonNode b : mon.execute("query-block")) {
                String qdev = b.path("qdev").asText();
                // virtio devices report their QOM path
                qdevs.add(qdev.startsWith("/machine/peripheral/") ? qdev.split("/")[3] : qdev);
            }
            assertTrue(qdevs.containsAll(Set.of("virtio-disk0", "scsi0-0-0-1", "ide0-1-0")), qdevs.toString());
            Set<String> chardevs = new HashSet<>();
            for (JsonNode c : mon.execute("query-chardev")) {
                chardevs.add(c.path("label").asText());
            }
            assertTrue(chardevs.containsAll(Set.of("charserial0", "charchannel0", "charmonitor")), chardevs.toString());
            assertTrue(Files.exists(cmd.agentSocket()), "agent socket not created");
            assertEquals(Long.toString(p.pid()), Files.readString(paths.pidFile()).strip());
            mon.execute("cont");
            assertEquals("running", mon.execute("query-status").path("status").asText());
        } finally {
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static void run(String... argv) throws Exception {
        Process p = new ProcessBuilder(argv).inheritIO().start();
        assertTrue(p.waitFor(20, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), String.join(" ", argv));
    }
}
