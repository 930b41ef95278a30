package io.jvirt.api.xml;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** Reads {@code <domain>} documents: the top-level elements; devices are read by {@link DeviceReader}. */
final class DomainXmlReader {
    static final String[] DOMAIN_TYPES = {"qemu", "kvm", "test", "vz"};
    static final String[] FEATURES = {"acpi", "apic", "pae", "hap", "privnet"};
    static final String[] CPU_MODES = {"custom", "host-model", "host-passthrough", "maximum"};
    static final String[] CLOCK_OFFSETS = {"utc", "localtime"};
    static final String[] LIFECYCLE_ACTIONS = {"destroy", "restart", "preserve", "rename-restart"};
    static final String[] CRASH_ACTIONS = {"destroy", "restart", "preserve", "rename-restart",
        "coredump-destroy", "coredump-restart"};
    static final String[] BOOT_DEVS = {"hd", "cdrom", "network", "fd"};
    static final Pattern ARCH = Pattern.compile("[a-z0-9_]+");
    static final Pattern MACHINE = Pattern.compile("[a-zA-Z0-9_.\\-]+");
    static final Pattern CPU_MODEL = Pattern.compile("[a-zA-Z0-9_.\\-]+");

    private DomainXmlReader() {
    }

    static DomainDef parse(String xml) {
        XmlCursor c = XmlCursor.open(xml, Set.of("domain"));
        DomainDef def = readDomain(c);
        c.finish();
        return def;
    }

    static Device parseDevice(String xml) {
        XmlCursor c = XmlCursor.open(xml, DeviceReader.ELEMENTS);
        Device d = DeviceReader.read(c);
        if (d instanceof Device.Controller ctl && ctl.index() < 0) {
            d = new Device.Controller(ctl.type(), 0, ctl.model(), ctl.alias());
        }
        c.finish();
        return d;
    }

    private static DomainDef readDomain(XmlCursor c) {
        Attrs a = c.attrs("type", "id");
        String type = a.oneOf("type", null, DOMAIN_TYPES);
        a.number("id", -1, -1, Integer.MAX_VALUE); // the live id is not part of a definition
        String name = null;
        UUID uuid = null;
        String title = null;
        String description = null;
        Long memory = null;
        Long current = null;
        int vcpus = 1;
        DomainDef.OsDef os = null;
        List<String> features = List.of();
        DomainDef.CpuDef cpu = null;
        DomainDef.ClockDef clock = null;
        String onPoweroff = "destroy";
        String onReboot = "restart";
        String onCrash = "destroy";
        Devices devices = new Devices(null, List.of());
        Set<String> seen = new HashSet<>();
        while (c.nextChild()) {
            String p = c.path();
            if (!seen.add(c.name())) {
                throw XmlCursor.error("duplicate element " + p);
            }
            switch (c.name()) {
                case "name" -> {
                    c.attrs();
                    name = Names.checkName(c.text(), p);
                }
                case "uuid" -> {
                    c.attrs();
                    uuid = Names.parseUuid(c.text(), p);
                }
                case "title" -> {
                    c.attrs();
                    title = c.text();
                    if (title.indexOf('\n') >= 0) {
                        throw XmlCursor.error("invalid value for " + p + ": a title must be a single line");
                    }
                }
                case "description" -> {
                    c.attrs();
                    description = c.text();
                }
                case "memory" -> memory = readMemory(c, p);
                case "currentMemory" -> current = readMemory(c, p);
                case "vcpu" -> {
                    c.attrs("placement").oneOf("placement", "static", "static");
                    vcpus = (int) Attrs.number(c.text(), p, 1, 16384);
                }
                case "os" -> os = readOs(c);
                case "features" -> features = readFeatures(c);
                case "cpu" -> cpu = readCpu(c);
                case "clock" -> {
                    clock = new DomainDef.ClockDef(c.attrs("offset").oneOf("offset", "utc", CLOCK_OFFSETS));
                    c.empty();
                }
                case "on_poweroff" -> onPoweroff = readAction(c, p, LIFECYCLE_ACTIONS);
                case "on_reboot" -> onReboot = readAction(c, p, LIFECYCLE_ACTIONS);
                case "on_crash" -> onCrash = readAction(c, p, CRASH_ACTIONS);
                case "devices" -> devices = readDevices(c);
                default -> throw c.unsupported();
            }
        }
        if (name == null) {
            throw XmlCursor.error("missing element /domain/name");
        }
        if (memory == null) {
            throw XmlCursor.error("missing element /domain/memory");
        }
        if (os == null) {
            throw XmlCursor.error("missing element /domain/os");
        }
        if (current == null) {
            current = memory;
        } else if (current > memory) {
            throw XmlCursor.error("invalid value for /domain/currentMemory: " + current
                    + " KiB is more than /domain/memory (" + memory + " KiB)");
        }
        if (uuid == null) {
            uuid = UUID.randomUUID();
        }
        return new DomainDef(type, name, uuid, title, description, memory, current, vcpus, os, features, cpu,
                clock, onPoweroff, onReboot, onCrash, devices.emulator(), devices.list());
    }

    private static long readMemory(XmlCursor c, String p) {
        String unit = c.attrs("unit").get("unit");
        long kib = Units.toKiB(c.text(), unit, p);
        if (kib <= 0) {
            throw XmlCursor.error("invalid value for " + p + ": must be more than 0");
        }
        return kib;
    }

    private static String readAction(XmlCursor c, String p, String[] allowed) {
        c.attrs();
        return Attrs.check(c.text().strip(), p, allowed);
    }

    private static DomainDef.OsDef readOs(XmlCursor c) {
        c.attrs();
        String type = null;
        String arch = null;
        String machine = null;
        String kernel = null;
        String initrd = null;
        String cmdline = null;
        List<String> boot = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        while (c.nextChild()) {
            String p = c.path();
            if (!c.name().equals("boot") && !seen.add(c.name())) {
                throw XmlCursor.error("duplicate element " + p);
            }
            switch (c.name()) {
                case "type" -> {
                    Attrs a = c.attrs("arch", "machine");
                    arch = a.matching("arch", ARCH, "an architecture such as x86_64");
                    machine = a.matching("machine", MACHINE, "a machine type such as pc or q35");
                    type = Attrs.check(c.text().strip(), p, "hvm", "exe");
                }
                case "kernel" -> kernel = path(c, p);
                case "initrd" -> initrd = path(c, p);
                case "cmdline" -> {
                    c.attrs();
                    cmdline = c.text();
                }
                case "boot" -> {
                    String dev = c.attrs("dev").oneOf("dev", null, BOOT_DEVS);
                    if (boot.contains(dev)) {
                        throw XmlCursor.error("duplicate value '" + dev + "' for " + p + "/@dev");
                    }
                    boot.add(dev);
                    c.empty();
                }
                default -> throw c.unsupported();
            }
        }
        if (type == null) {
            throw XmlCursor.error("missing element /domain/os/type");
        }
        if (kernel == null && (initrd != null || cmdline != null)) {
            throw XmlCursor.error("invalid /domain/os: initrd and cmdline need a kernel");
        }
        return new DomainDef.OsDef(type, arch, machine, kernel, initrd, cmdline, boot);
    }

    /** A text element holding a non-empty path. */
    static String path(XmlCursor c, String p) {
        c.attrs();
        String v = c.text().strip();
        if (v.isEmpty()) {
            throw XmlCursor.error("invalid value '' for " + p + ": must not be empty");
        }
        return v;
    }

    private static List<String> readFeatures(XmlCursor c) {
        c.attrs();
        List<String> out = new ArrayList<>();
        while (c.nextChild()) {
            String p = c.path();
            if (!List.of(FEATURES).contains(c.name())) {
                throw c.unsupported();
            }
            if (out.contains(c.name())) {
                throw XmlCursor.error("duplicate element " + p);
            }
            out.add(c.name());
            c.attrs();
            c.empty();
        }
        return out;
    }

    private static DomainDef.CpuDef readCpu(XmlCursor c) {
        String mode = c.attrs("mode").oneOf("mode", "custom", CPU_MODES);
        String model = null;
        while (c.nextChild()) {
            String p = c.path();
            if (!c.name().equals("model")) {
                throw c.unsupported();
            }
            if (model != null) {
                throw XmlCursor.error("duplicate element " + p);
            }
            c.attrs();
            model = c.text().strip();
            if (!CPU_MODEL.matcher(model).matches()) {
                throw XmlCursor.error("invalid value '" + model + "' for " + p + ": expected a CPU model name");
            }
        }
        return new DomainDef.CpuDef(mode, model);
    }

    private record Devices(String emulator, List<Device> list) {
    }

    private static Devices readDevices(XmlCursor c) {
        c.attrs();
        String emulator = null;
        List<Device> list = new ArrayList<>();
        Set<String> targets = new HashSet<>();
        Map<String, Set<Integer>> controllers = new HashMap<>();
        while (c.nextChild()) {
            String p = c.path();
            if (c.name().equals("emulator")) {
                if (emulator != null) {
                    throw XmlCursor.error("duplicate element " + p);
                }
                emulator = path(c, p);
                continue;
            }
            if (!DeviceReader.ELEMENTS.contains(c.name())) {
                throw c.unsupported();
            }
            Device d = DeviceReader.read(c);
            if (d instanceof Device.Disk disk && !targets.add(disk.targetDev())) {
                throw XmlCursor.error("duplicate disk target '" + disk.targetDev() + "' at " + p + "/target/@dev");
            }
            if (d instanceof Device.Controller ctl) {
                Set<Integer> used = controllers.computeIfAbsent(ctl.type(), t -> new HashSet<>());
                int index = ctl.index();
                if (index < 0) {
                    index = 0;
                    while (used.contains(index)) {
                        index++;
                    }
                    d = new Device.Controller(ctl.type(), index, ctl.model(), ctl.alias());
                }
                if (!used.add(index)) {
                    throw XmlCursor.error("duplicate controller type '" + ctl.type() + "' index " + index + " at " + p);
                }
            }
            list.add(d);
        }
        return new Devices(emulator, list);
    }
}
