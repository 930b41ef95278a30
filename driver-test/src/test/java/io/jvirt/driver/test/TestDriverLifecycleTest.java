package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.tck.LifecycleSuite;

/** The TCK's LifecycleSuite against the test driver. */
class TestDriverLifecycleTest extends LifecycleSuite {
    @Override
    protected Connection openConnection() {
        return TestDriverTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return TestDriverTck.domainXml(name);
    }
}
