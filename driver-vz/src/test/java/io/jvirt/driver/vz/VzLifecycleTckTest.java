package io.jvirt.driver.vz;

import io.jvirt.api.Connection;
import io.jvirt.tck.LifecycleSuite;

/** The TCK's LifecycleSuite against the vz driver on its SDK emulator. */
class VzLifecycleTckTest extends LifecycleSuite {
    @Override
    protected Connection openConnection() {
        return VzTck.open();
    }

    @Override
    protected String domainXml(String name) {
        return VzTck.domainXml(name);
    }
}
