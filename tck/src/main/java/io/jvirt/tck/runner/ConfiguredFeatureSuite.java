package io.jvirt.tck.runner;

import io.jvirt.api.Connection;
import io.jvirt.tck.FeatureSuite;

/** {@link FeatureSuite} against the driver named by {@link TckConfig}. */
public class ConfiguredFeatureSuite extends FeatureSuite {
    @Override
    protected Connection openConnection() {
        return TckConfig.open();
    }

    @Override
    protected String domainXml(String name) {
        return TckConfig.domainXml(name);
    }
}
