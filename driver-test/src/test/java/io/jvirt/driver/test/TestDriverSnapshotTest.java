package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.tck.snapshot.SnapshotSuite;

import java.time.Duration;

/**
 * The TCK's SnapshotSuite against the test driver, which claims no snapshots: every snapshot call
 * must fail with NO_SUPPORT.
 */
class TestDriverSnapshotTest extends SnapshotSuite {
    @Override
    protected Connection openConnection() {
        return TestDriverTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return TestDriverTck.domainXml(name);
    }

    @Override
    protected Connection openConnectionWithSlowSnapshots(Duration atLeast) {
        return openConnection(); // snapshots are not supported, so nothing to slow down
    }
}
