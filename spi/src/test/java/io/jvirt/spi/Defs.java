package io.jvirt.spi;

import io.jvirt.api.xml.DomainDef;

import java.util.List;
import java.util.UUID;

/** Minimal definitions for unit tests (no XML parser needed). */
public final class Defs {
    private Defs() {
    }

    public static DomainDef def(String name, UUID uuid) {
        return new DomainDef("unit", name, uuid, null, null, 1024, 1024, 1,
                new DomainDef.OsDef("hvm", null, null, null, null, null, List.of()),
                List.of(), null, null, "destroy", "restart", "destroy", null, List.of());
    }

    public static DomainDef def(String name) {
        return def(name, UUID.randomUUID());
    }
}
