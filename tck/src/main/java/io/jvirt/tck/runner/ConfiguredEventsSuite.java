package io.jvirt.tck.runner;

import io.jvirt.api.Connection;
import io.jvirt.tck.EventsSuite;

/** {@link EventsSuite} against the driver named by {@link TckConfig}. */
public class ConfiguredEventsSuite extends EventsSuite {
    @Override
    protected Connection openConnection() {
        return TckConfig.open();
    }

    @Override
    protected String domainXml(String name) {
        return TckConfig.domainXml(name);
    }
}
