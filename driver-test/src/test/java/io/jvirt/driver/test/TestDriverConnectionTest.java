package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.tck.ConnectionSuite;

/** The TCK's ConnectionSuite against the test driver. */
class TestDriverConnectionTest extends ConnectionSuite {
    @Override
    protected Connection openConnection() {
        return TestDriverTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return TestDriverTck.domainXml(name);
    }
}
