package io.jvirt.driver.vz;

import io.jvirt.api.Connection;
import io.jvirt.tck.ConnectionSuite;

/** The TCK's ConnectionSuite against the vz driver on its SDK emulator. */
class VzConnectionTckTest extends ConnectionSuite {
    @Override
    protected Connection openConnection() {
        return VzTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return VzTck.domainXml(name);
    }
}
