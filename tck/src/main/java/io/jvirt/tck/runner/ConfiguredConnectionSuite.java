package io.jvirt.tck.runner;

import io.jvirt.api.Connection;
import io.jvirt.tck.ConnectionSuite;

/** {@link ConnectionSuite} against the driver named by {@link TckConfig}. */
public class ConfiguredConnectionSuite extends ConnectionSuite {
    @Override
    protected Connection openConnection() {
        return TckConfig.open();
    }

    @Override
    protected String domainXml(String name) {
        return TckConfig.domainXml(name);
    }
}
