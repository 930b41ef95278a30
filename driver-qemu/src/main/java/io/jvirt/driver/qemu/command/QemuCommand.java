package io.jvirt.driver.qemu.command;

import io.jvirt.api.xml.DomainDef;

import java.nio.file.Path;
import java.util.List;

/**
 * A QEMU command line built from a definition.
 *
 * @param argv         the full argument vector, binary first
 * @param liveDef      the definition as it runs: device aliases filled in, generated channel paths set
 * @param agentSocket  the guest-agent channel's socket, or null when the domain has none
 */
public record QemuCommand(List<String> argv, DomainDef liveDef, Path agentSocket) {
    public QemuCommand {
        argv = List.copyOf(argv);
    }

    /** The binary. */
    public String binary() {
        return argv.get(0);
    }
}
