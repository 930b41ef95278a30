package io.jvirt.driver.qemu.tck;

import io.jvirt.api.Connection;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.testutil.Embed;
import io.jvirt.tck.snapshot.SnapshotSuite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

/** The TCK's SnapshotSuite against qemu:///embed: SNAPSHOTS is not claimed, so every call must answer NO_SUPPORT. */
class QemuTckSnapshotTest extends SnapshotSuite {
    @TempDir
    static Path root;

    @AfterAll
    static void killLeftovers() throws Exception {
        Embed.killAll(root);
    }

    @Override
    protected Connection openConnection() {
        return Virt.open(Embed.uri(root));
    }

    @Override
    protected Connection openConnectionWithSlowSnapshots(Duration atLeast) {
        return openConnection();
    }

    @Override
    protected String domainXml(String name) {
        return QemuTck.firmwareXml(name);
    }
}
