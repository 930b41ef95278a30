package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.tck.XmlRoundTripSuite;

/** The TCK's XmlRoundTripSuite against the test driver. */
class TestDriverXmlRoundTripTest extends XmlRoundTripSuite {
    @Override
    protected Connection openConnection() {
        return TestDriverTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return TestDriverTck.domainXml(name);
    }
}
