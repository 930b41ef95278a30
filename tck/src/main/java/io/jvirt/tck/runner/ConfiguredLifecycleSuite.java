package io.jvirt.tck.runner;

import io.jvirt.api.Connection;
import io.jvirt.tck.LifecycleSuite;

/** {@link LifecycleSuite} against the driver named by {@link TckConfig}. */
public class ConfiguredLifecycleSuite extends LifecycleSuite {
    @Override
    protected Connection openConnection() {
        return TckConfig.open();
    }

    @Override
    protected String domainXml(String name) {
        return TckConfig.domainXml(name);
    }
}
