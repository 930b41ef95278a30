package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.tck.FeatureSuite;

/** The TCK's FeatureSuite against the test driver. */
class TestDriverFeatureTest extends FeatureSuite {
    @Override
    protected Connection openConnection() {
        return TestDriverTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return TestDriverTck.domainXml(name);
    }
}
