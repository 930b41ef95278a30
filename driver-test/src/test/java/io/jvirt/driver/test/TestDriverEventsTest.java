package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.tck.EventsSuite;

/** The TCK's EventsSuite against the test driver. */
class TestDriverEventsTest extends EventsSuite {
    @Override
    protected Connection openConnection() {
        return TestDriverTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return TestDriverTck.domainXml(name);
    }
}
