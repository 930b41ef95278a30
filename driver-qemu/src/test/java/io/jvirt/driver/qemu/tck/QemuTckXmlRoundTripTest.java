package io.jvirt.driver.qemu.tck;

import io.jvirt.api.Connection;
import io.jvirt.api.Virt;
import io.jvirt.driver.qemu.testutil.Embed;
import io.jvirt.tck.XmlRoundTripSuite;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** The TCK's XmlRoundTripSuite against qemu:///embed with firmware-only TCG guests. */
class QemuTckXmlRoundTripTest extends XmlRoundTripSuite {
    @TempDir
    static Path root;

    @AfterAll
    static void killLeftovers() throws Exception {
        Embed.killAll(root);
    }

    @Override
    protected Connection openConnection() {
        return Virt.open(Embed.uri(root));
    }

    @Override
    protected String domainXml(String name) {
        return QemuTck.firmwareXml(name);
    }
}
