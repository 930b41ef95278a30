package io.jvirt.api.xml;

/**
 * Writes {@link DomainDef}s and {@link Device}s as libvirt domain XML, in libvirt's element order,
 * indented by two spaces. Memory is always written in KiB; defaults are written explicitly.
 */
final class DomainXmlWriter {
    private DomainXmlWriter() {
    }

    static String format(DomainDef def, int id) {
        Names.checkName(def.name(), "/domain/name");
        if (def.vcpus() < 1) {
            throw XmlCursor.error("invalid value '" + def.vcpus() + "' for /domain/vcpu: expected at least 1");
        }
        if (def.memoryKiB() < 1 || def.currentMemoryKiB() < 1 || def.currentMemoryKiB() > def.memoryKiB()) {
            throw XmlCursor.error("invalid memory sizes: memory " + def.memoryKiB() + " KiB, currentMemory "
                    + def.currentMemoryKiB() + " KiB");
        }
        boolean live = id >= 0;
        XmlOut x = new XmlOut();
        x.start("domain", "type", def.type(), "id", live ? Integer.toString(id) : null);
        x.text("name", def.name());
        x.text("uuid", def.uuid().toString());
        x.text("title", def.title());
        x.text("description", def.description());
        x.text("memory", Long.toString(def.memoryKiB()), "unit", "KiB");
        x.text("currentMemory", Long.toString(def.currentMemoryKiB()), "unit", "KiB");
        x.text("vcpu", Integer.toString(def.vcpus()), "placement", "static");
        os(x, def.os());
        if (!def.features().isEmpty()) {
            x.start("features");
            for (String f : def.features()) {
                x.empty(f);
            }
            x.end();
        }
        if (def.cpu() != null) {
            String mode = def.cpu().mode() == null ? "custom" : def.cpu().mode();
            if (def.cpu().model() == null) {
                x.empty("cpu", "mode", mode);
            } else {
                x.start("cpu", "mode", mode).text("model", def.cpu().model()).end();
            }
        }
        if (def.clock() != null) {
            x.empty("clock", "offset", def.clock().offset() == null ? "utc" : def.clock().offset());
        }
        x.text("on_poweroff", orElse(def.onPoweroff(), "destroy"));
        x.text("on_reboot", orElse(def.onReboot(), "restart"));
        x.text("on_crash", orElse(def.onCrash(), "destroy"));
        x.start("devices");
        x.text("emulator", def.emulator());
        for (Device d : def.devices()) {
            device(x, d, live);
        }
        x.end();
        x.end();
        return x.finish();
    }

    static String formatDevice(Device device) {
        XmlOut x = new XmlOut();
        device(x, device, true);
        return x.finish();
    }

    /** A required component of a record built in code: absent is an XML_ERROR, not broken output. */
    private static void need(Object value, String what) {
        if (value == null) {
            throw XmlCursor.error("cannot write domain XML: no " + what);
        }
    }

    private static String orElse(String v, String dflt) {
        return v == null ? dflt : v;
    }

    private static void os(XmlOut x, DomainDef.OsDef os) {
        x.start("os");
        x.text("type", os.type(), "arch", os.arch(), "machine", os.machine());
        x.text("kernel", os.kernel());
        x.text("initrd", os.initrd());
        x.text("cmdline", os.cmdline());
        for (String dev : os.boot()) {
            x.empty("boot", "dev", dev);
        }
        x.end();
    }

    private static void device(XmlOut x, Device device, boolean live) {
        String alias = live ? device.alias() : null;
        switch (device) {
            case Device.Disk d -> {
                need(d.type(), "disk type");
                need(d.targetDev(), "disk target dev");
                x.start("disk", "type", d.type(), "device", orElse(d.device(), "disk"));
                if (d.format() != null || d.cache() != null) {
                    x.empty("driver", "name", "qemu", "type", d.format(), "cache", d.cache());
                }
                if (d.source() != null) {
                    x.empty("source", "block".equals(d.type()) ? "dev" : "file", d.source());
                }
                String bus = d.targetBus() != null ? d.targetBus() : DeviceReader.busFor(d.targetDev());
                x.empty("target", "dev", d.targetDev(), "bus", bus);
                if (d.readonly()) {
                    x.empty("readonly");
                }
                if (d.shareable()) {
                    x.empty("shareable");
                }
                x.text("serial", d.serial());
                alias(x, alias);
                x.end();
            }
            case Device.Controller c -> {
                need(c.type(), "controller type");
                String[] attrs = {"type", c.type(), "index", Integer.toString(Math.max(0, c.index())),
                    "model", c.model()};
                if (alias == null) {
                    x.empty("controller", attrs);
                } else {
                    x.start("controller", attrs);
                    alias(x, alias);
                    x.end();
                }
            }
            case Device.Interface i -> {
                need(i.type(), "interface type");
                x.start("interface", "type", i.type());
                if (i.mac() != null) {
                    x.empty("mac", "address", i.mac());
                }
                if (i.source() != null && !"user".equals(i.type())) {
                    x.empty("source", "bridge".equals(i.type()) ? "bridge" : "network", i.source());
                }
                if (i.target() != null) {
                    x.empty("target", "dev", i.target());
                }
                if (i.model() != null) {
                    x.empty("model", "type", i.model());
                }
                alias(x, alias);
                x.end();
            }
            case Device.Serial s -> {
                x.start("serial", "type", chrType(s.source()));
                source(x, s.source());
                x.empty("target", "port", Integer.toString(s.port()));
                alias(x, alias);
                x.end();
            }
            case Device.Console c -> {
                x.start("console", "type", chrType(c.source()));
                source(x, c.source());
                x.empty("target", "type", orElse(c.targetType(), "serial"), "port", Integer.toString(c.port()));
                alias(x, alias);
                x.end();
            }
            case Device.Channel c -> {
                x.start("channel", "type", chrType(c.source()));
                source(x, c.source());
                x.empty("target", "type", orElse(c.targetType(), "virtio"), "name", c.targetName());
                alias(x, alias);
                x.end();
            }
            case Device.Memballoon m -> {
                need(m.model(), "memballoon model");
                if (m.statsPeriodSeconds() <= 0 && alias == null) {
                    x.empty("memballoon", "model", m.model());
                } else {
                    x.start("memballoon", "model", m.model());
                    alias(x, alias);
                    if (m.statsPeriodSeconds() > 0) {
                        x.empty("stats", "period", Integer.toString(m.statsPeriodSeconds()));
                    }
                    x.end();
                }
            }
            case Device.Graphics g -> graphics(x, g, live);
            case Device.Lease l -> {
                need(l.lockspace(), "lease lockspace");
                need(l.key(), "lease key");
                need(l.path(), "lease target path");
                x.start("lease");
                x.text("lockspace", l.lockspace());
                x.text("key", l.key());
                x.empty("target", "path", l.path(), "offset", l.offset() == 0 ? null : Long.toString(l.offset()));
                x.end();
            }
        }
    }

    /** Graphics never carry an alias: libvirt's schema has none for them. */
    private static void graphics(XmlOut x, Device.Graphics g, boolean live) {
        need(g.type(), "graphics type");
        if ("none".equals(g.type())) {
            return; // "no graphics" is the absence of the element
        }
        int port = g.autoport() && !live ? -1 : g.port();
        String[] attrs = {"type", g.type(), "port", Integer.toString(port), "autoport", g.autoport() ? "yes" : "no",
            "listen", g.listen()};
        if (g.listen() == null) {
            x.empty("graphics", attrs);
            return;
        }
        x.start("graphics", attrs);
        if (g.listen() != null) {
            x.empty("listen", "type", "address", "address", g.listen());
        }
        x.end();
    }

    private static String chrType(Device.CharSource s) {
        need(s, "character device source");
        need(s.type(), "character device type");
        return s.type();
    }

    private static void source(XmlOut x, Device.CharSource s) {
        if (s.path() == null && s.mode() == null) {
            return;
        }
        x.empty("source", "mode", "unix".equals(s.type()) ? orElse(s.mode(), "bind") : null, "path", s.path());
    }

    private static void alias(XmlOut x, String alias) {
        if (alias != null) {
            x.empty("alias", "name", alias);
        }
    }
}
