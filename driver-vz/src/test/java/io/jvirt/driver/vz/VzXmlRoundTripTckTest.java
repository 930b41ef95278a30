package io.jvirt.driver.vz;

import io.jvirt.api.Connection;
import io.jvirt.tck.XmlRoundTripSuite;

/** The TCK's XmlRoundTripSuite against the vz driver on its SDK emulator. */
class VzXmlRoundTripTckTest extends XmlRoundTripSuite {
    @Override
    protected Connection openConnection() {
        return VzTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return VzTck.domainXml(name);
    }
}
