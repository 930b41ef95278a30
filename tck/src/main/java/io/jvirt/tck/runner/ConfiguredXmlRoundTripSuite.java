package io.jvirt.tck.runner;

import io.jvirt.api.Connection;
import io.jvirt.tck.XmlRoundTripSuite;

/** {@link XmlRoundTripSuite} against the driver named by {@link TckConfig}. */
public class ConfiguredXmlRoundTripSuite extends XmlRoundTripSuite {
    @Override
    protected Connection openConnection() {
        return TckConfig.open();
    }

    @Override
    protected String domainXml(String name) {
        return TckConfig.domainXml(name);
    }
}
