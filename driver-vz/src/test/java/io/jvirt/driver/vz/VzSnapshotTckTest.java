package io.jvirt.driver.vz;

import io.jvirt.api.Connection;
import io.jvirt.api.Virt;
import io.jvirt.tck.snapshot.SnapshotSuite;

import java.time.Duration;

/** The TCK's SnapshotSuite against the vz driver on its SDK emulator. */
class VzSnapshotTckTest extends SnapshotSuite {
    @Override
    protected Connection openConnection() {
        return VzTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return VzTck.domainXml(name);
    }

    @Override
    protected Connection openConnectionWithSlowSnapshots(Duration atLeast) {
        // the emulator's snapshot operation takes this long before it takes effect
        return Virt.open("vz:///sim?latency.snapshot=" + atLeast.toMillis());
    }
}
