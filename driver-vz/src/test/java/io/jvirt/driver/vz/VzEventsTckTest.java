package io.jvirt.driver.vz;

import io.jvirt.api.Connection;
import io.jvirt.tck.EventsSuite;

/** The TCK's EventsSuite against the vz driver on its SDK emulator. */
class VzEventsTckTest extends EventsSuite {
    @Override
    protected Connection openConnection() {
        return VzTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return VzTck.domainXml(name);
    }
}
