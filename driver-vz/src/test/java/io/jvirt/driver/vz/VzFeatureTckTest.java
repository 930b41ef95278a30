package io.jvirt.driver.vz;

import io.jvirt.api.Connection;
import io.jvirt.tck.FeatureSuite;

/** The TCK's FeatureSuite against the vz driver on its SDK emulator. */
class VzFeatureTckTest extends FeatureSuite {
    @Override
    protected Connection openConnection() {
        return VzTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return VzTck.domainXml(name);
    }
}
