package io.jvirt.api.xml;

import java.util.HashSet;
import java.util.Set;
import java.util.regex.Pattern;

/** Reads the device elements of {@code <devices>}; each method starts on the element's start tag. */
final class DeviceReader {
    /** The device element names jvirt reads. */
    static final Set<String> ELEMENTS = Set.of("disk", "controller", "interface", "serial", "console", "channel",
            "memballoon", "graphics", "lease");

    static final String[] DISK_BUSES = {"virtio", "sata", "scsi", "ide", "usb", "xen"};
    static final String[] CACHE_MODES = {"default", "none", "writethrough", "writeback", "directsync", "unsafe"};
    static final String[] CONTROLLER_TYPES = {"pci", "virtio-serial", "usb", "scsi", "sata", "ide"};
    static final String[] CHAR_TYPES = {"pty", "file", "unix", "null", "stdio"};
    private static final Pattern DISK_TARGET = Pattern.compile("(hd|sd|vd|xvd)[a-z]+");
    private static final Pattern DISK_SERIAL = Pattern.compile("[A-Za-z0-9_.\\- ]+");
    private static final Pattern NET_MODEL = Pattern.compile("[a-zA-Z0-9_\\-]+");
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.:\\-]{1,15}");
    private static final Pattern ALIAS = Pattern.compile("[A-Za-z0-9_.\\-]+");
    private static final Pattern PORT_NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");

    private DeviceReader() {
    }

    /** Reads the device element the cursor is on. */
    static Device read(XmlCursor c) {
        return switch (c.name()) {
            case "disk" -> disk(c);
            case "controller" -> controller(c);
            case "interface" -> iface(c);
            case "serial" -> serial(c);
            case "console" -> console(c);
            case "channel" -> channel(c);
            case "memballoon" -> memballoon(c);
            case "graphics" -> graphics(c);
            case "lease" -> lease(c);
            default -> throw c.unsupported();
        };
    }

    /** The bus libvirt infers from a disk's target name: hd→ide, sd→scsi, vd→virtio, xvd→xen. */
    static String busFor(String targetDev) {
        if (targetDev.startsWith("hd")) {
            return "ide";
        } else if (targetDev.startsWith("sd")) {
            return "scsi";
        } else if (targetDev.startsWith("vd")) {
            return "virtio";
        } else if (targetDev.startsWith("xvd")) {
            return "xen";
        }
        throw XmlCursor.error("cannot derive a disk bus from target '" + targetDev + "'");
    }

    /** Tracks which singleton children an element has seen. */
    private static void once(Set<String> seen, XmlCursor c) {
        if (!seen.add(c.name())) {
            throw XmlCursor.error("duplicate element " + c.path());
        }
    }

    private static String alias(XmlCursor c) {
        String a = c.attrs("name").matching("name", ALIAS, "letters, digits, '_', '.', '-'");
        if (a == null) {
            throw XmlCursor.error("missing attribute " + c.path() + "/@name");
        }
        c.empty();
        return a;
    }

    private static Device.Disk disk(XmlCursor c) {
        String base = c.path();
        Attrs a = c.attrs("type", "device");
        String type = a.oneOf("type", null, "file", "block");
        String device = a.oneOf("device", "disk", "disk", "cdrom");
        String format = null;
        String cache = null;
        String source = null;
        String dev = null;
        String bus = null;
        boolean readonly = false;
        boolean shareable = false;
        String serial = null;
        String alias = null;
        Set<String> seen = new HashSet<>();
        while (c.nextChild()) {
            String p = c.path();
            once(seen, c);
            switch (c.name()) {
                case "driver" -> {
                    Attrs d = c.attrs("name", "type", "cache");
                    d.optionalOneOf("name", "qemu");
                    format = d.optionalOneOf("type", "raw", "qcow2");
                    cache = d.optionalOneOf("cache", CACHE_MODES);
                    c.empty();
                }
                case "source" -> {
                    String attr = type.equals("file") ? "file" : "dev";
                    source = c.attrs(attr).optional(attr);
                    c.empty();
                }
                case "target" -> {
                    Attrs t = c.attrs("dev", "bus");
                    dev = t.required("dev");
                    if (!DISK_TARGET.matcher(dev).matches()) {
                        throw XmlCursor.error("invalid value '" + dev + "' for " + p
                                + "/@dev: expected hd, sd, vd or xvd followed by letters (vda, sdb, hdc)");
                    }
                    bus = t.optionalOneOf("bus", DISK_BUSES);
                    c.empty();
                }
                case "readonly" -> {
                    c.attrs();
                    c.empty();
                    readonly = true;
                }
                case "shareable" -> {
                    c.attrs();
                    c.empty();
                    shareable = true;
                }
                case "serial" -> {
                    c.attrs();
                    serial = c.text();
                    if (!DISK_SERIAL.matcher(serial).matches()) {
                        throw XmlCursor.error("invalid value '" + serial + "' for " + p
                                + ": expected letters, digits, ' ', '_', '.', '-'");
                    }
                }
                case "alias" -> alias = alias(c);
                case "address" -> c.skip();
                default -> throw c.unsupported();
            }
        }
        if (dev == null) {
            throw XmlCursor.error("missing element " + base + "/target");
        }
        if (source == null && device.equals("disk")) {
            throw XmlCursor.error("missing element " + base + "/source: a disk of device 'disk' needs an image");
        }
        if (bus == null) {
            bus = busFor(dev);
        }
        return new Device.Disk(type, device, format, source, dev, bus, readonly, shareable, cache, serial, alias);
    }

    private static Device.Controller controller(XmlCursor c) {
        String base = c.path();
        Attrs a = c.attrs("type", "index", "model");
        String type = a.oneOf("type", null, CONTROLLER_TYPES);
        int index = (int) a.number("index", -1, 0, Integer.MAX_VALUE);
        String model = switch (type) {
            case "pci" -> a.oneOf("model", null, "pci-root", "pcie-root", "pci-bridge", "dmi-to-pci-bridge",
                    "pcie-to-pci-bridge", "pcie-root-port", "pcie-switch-upstream-port",
                    "pcie-switch-downstream-port", "pci-expander-bus", "pcie-expander-bus");
            case "virtio-serial" -> a.optionalOneOf("model", "virtio", "virtio-transitional",
                    "virtio-non-transitional");
            case "usb" -> a.optionalOneOf("model", "piix3-uhci", "piix4-uhci", "ehci", "ich9-ehci1",
                    "ich9-uhci1", "ich9-uhci2", "ich9-uhci3", "vt82c686b-uhci", "pci-ohci", "nec-xhci",
                    "qemu-xhci", "none");
            case "scsi" -> a.optionalOneOf("model", "auto", "buslogic", "lsilogic", "lsisas1068", "vmpvscsi",
                    "ibmvscsi", "virtio-scsi", "lsisas1078", "virtio-transitional", "virtio-non-transitional");
            case "ide" -> a.optionalOneOf("model", "piix3", "piix4", "ich6");
            default -> {
                if (a.get("model") != null) {
                    throw XmlCursor.error("unsupported attribute " + base + "/@model for type '" + type + "'");
                }
                yield null;
            }
        };
        String alias = null;
        Set<String> seen = new HashSet<>();
        while (c.nextChild()) {
            once(seen, c);
            switch (c.name()) {
                case "alias" -> alias = alias(c);
                case "address" -> c.skip();
                default -> throw c.unsupported();
            }
        }
        return new Device.Controller(type, index, model, alias);
    }

    private static Device.Interface iface(XmlCursor c) {
        String base = c.path();
        String type = c.attrs("type").oneOf("type", null, "user", "network", "bridge");
        String mac = null;
        String model = null;
        String source = null;
        String target = null;
        String alias = null;
        Set<String> seen = new HashSet<>();
        while (c.nextChild()) {
            String p = c.path();
            once(seen, c);
            switch (c.name()) {
                case "mac" -> {
                    mac = Names.checkMac(c.attrs("address").required("address"), p + "/@address");
                    c.empty();
                }
                case "source" -> {
                    if (type.equals("user")) {
                        throw XmlCursor.error("unsupported element " + p + " for an interface of type 'user'");
                    }
                    String attr = type.equals("network") ? "network" : "bridge";
                    source = c.attrs(attr).required(attr);
                    c.empty();
                }
                case "model" -> {
                    Attrs m = c.attrs("type");
                    model = m.matching("type", NET_MODEL, "a model name such as virtio or e1000");
                    if (model == null) {
                        throw XmlCursor.error("missing attribute " + p + "/@type");
                    }
                    c.empty();
                }
                case "target" -> {
                    target = c.attrs("dev").matching("dev", IFNAME, "an interface name of at most 15 characters");
                    if (target == null) {
                        throw XmlCursor.error("missing attribute " + p + "/@dev");
                    }
                    c.empty();
                }
                case "alias" -> alias = alias(c);
                case "address" -> c.skip();
                default -> throw c.unsupported();
            }
        }
        if (source == null && !type.equals("user")) {
            throw XmlCursor.error("missing element " + base + "/source for an interface of type '" + type + "'");
        }
        return new Device.Interface(type, mac == null ? Names.randomMac() : mac, model, source, target, alias);
    }

    /** The parts shared by serial, console and channel. */
    private static final class Chr {
        final String base;
        final String type;
        boolean pathOptional;
        Device.CharSource source;
        Attrs target;
        String alias;

        Chr(XmlCursor c) {
            base = c.path();
            type = c.attrs("type").oneOf("type", null, CHAR_TYPES);
        }

        /** Reads the children; {@code targetAttrs} are the attributes {@code <target>} may have. */
        Chr read(XmlCursor c, boolean unixPathOptional, String... targetAttrs) {
            pathOptional = unixPathOptional;
            Set<String> seen = new HashSet<>();
            while (c.nextChild()) {
                String p = c.path();
                once(seen, c);
                switch (c.name()) {
                    case "source" -> {
                        source = source(c, p);
                        c.empty();
                    }
                    case "target" -> {
                        target = c.attrs(targetAttrs);
                        c.empty();
                    }
                    case "alias" -> alias = alias(c);
                    case "address" -> c.skip();
                    default -> throw c.unsupported();
                }
            }
            if (source == null) {
                switch (type) {
                    case "file" -> throw XmlCursor.error("missing element " + base + "/source for type 'file'");
                    case "unix" -> {
                        if (!pathOptional) {
                            throw XmlCursor.error("missing element " + base + "/source for type 'unix'");
                        }
                        source = new Device.CharSource(type, null, "bind");
                    }
                    default -> source = new Device.CharSource(type, null, null);
                }
            }
            return this;
        }

        private Device.CharSource source(XmlCursor c, String p) {
            switch (type) {
                case "unix" -> {
                    Attrs s = c.attrs("mode", "path");
                    String mode = s.oneOf("mode", "bind", "bind", "connect");
                    String path = pathOptional ? s.optional("path") : s.required("path");
                    return new Device.CharSource(type, path, mode);
                }
                case "file" -> {
                    return new Device.CharSource(type, c.attrs("path").required("path"), null);
                }
                case "pty" -> {
                    return new Device.CharSource(type, c.attrs("path").optional("path"), null);
                }
                default -> throw XmlCursor.error("unsupported element " + p + " for type '" + type + "'");
            }
        }

        int port(String attr) {
            return target == null ? 0 : (int) target.number(attr, 0, 0, 65535);
        }
    }

    private static Device.Serial serial(XmlCursor c) {
        Chr chr = new Chr(c).read(c, false, "port");
        return new Device.Serial(chr.source, chr.port("port"), chr.alias);
    }

    private static Device.Console console(XmlCursor c) {
        Chr chr = new Chr(c).read(c, false, "type", "port");
        String targetType = chr.target == null ? "serial" : chr.target.oneOf("type", "serial", "serial", "virtio");
        return new Device.Console(chr.source, targetType, chr.port("port"), chr.alias);
    }

    private static Device.Channel channel(XmlCursor c) {
        Chr chr = new Chr(c).read(c, true, "type", "name", "state");
        if (chr.target == null) {
            throw XmlCursor.error("missing element " + chr.base + "/target");
        }
        String targetType = chr.target.oneOf("type", null, "virtio");
        String name = chr.target.matching("name", PORT_NAME, "a port name such as " + Device.Channel.GUEST_AGENT);
        chr.target.optionalOneOf("state", "connected", "disconnected"); // live-only, not kept
        return new Device.Channel(chr.source, targetType, name, chr.alias);
    }

    private static Device.Memballoon memballoon(XmlCursor c) {
        String model = c.attrs("model").oneOf("model", null, "virtio", "none");
        int period = 0;
        String alias = null;
        Set<String> seen = new HashSet<>();
        while (c.nextChild()) {
            once(seen, c);
            switch (c.name()) {
                case "stats" -> {
                    period = (int) c.attrs("period").number("period", 0, 0, Integer.MAX_VALUE);
                    c.empty();
                }
                case "alias" -> alias = alias(c);
                case "address" -> c.skip();
                default -> throw c.unsupported();
            }
        }
        return new Device.Memballoon(model, period, alias);
    }

    private static Device.Graphics graphics(XmlCursor c) {
        String base = c.path();
        Attrs a = c.attrs("type", "port", "autoport", "listen");
        String type = a.oneOf("type", null, "vnc");
        int port = (int) a.number("port", -1, -1, 65535);
        boolean autoport = a.yesNo("autoport", port == -1);
        String listen = a.optional("listen");
        Set<String> seen = new HashSet<>();
        while (c.nextChild()) {
            String p = c.path();
            once(seen, c);
            switch (c.name()) {
                case "listen" -> {
                    Attrs l = c.attrs("type", "address");
                    l.oneOf("type", null, "address");
                    String addr = l.optional("address");
                    if (listen != null && addr != null && !listen.equals(addr)) {
                        throw XmlCursor.error("conflicting listen addresses: " + base + "/@listen is '" + listen
                                + "' but " + p + "/@address is '" + addr + "'");
                    }
                    listen = listen == null ? addr : listen;
                    c.empty();
                }
                default -> throw c.unsupported(); // libvirt's schema has no <alias> for graphics
            }
        }
        if (!autoport && port == -1) {
            throw XmlCursor.error("invalid " + base + ": autoport='no' needs a port");
        }
        return new Device.Graphics(type, port, autoport, listen, null);
    }

    private static Device.Lease lease(XmlCursor c) {
        String base = c.path();
        c.attrs();
        String lockspace = null;
        String key = null;
        String path = null;
        long offset = 0;
        Set<String> seen = new HashSet<>();
        while (c.nextChild()) {
            String p = c.path();
            once(seen, c);
            switch (c.name()) {
                case "lockspace" -> lockspace = DomainXmlReader.path(c, p);
                case "key" -> key = DomainXmlReader.path(c, p);
                case "target" -> {
                    Attrs t = c.attrs("path", "offset");
                    path = t.required("path");
                    offset = t.number("offset", 0, 0, 0xFFFF_FFFFL); // libvirt's schema: unsignedInt
                    c.empty();
                }
                default -> throw c.unsupported();
            }
        }
        if (lockspace == null) {
            throw XmlCursor.error("missing element " + base + "/lockspace");
        }
        if (key == null) {
            throw XmlCursor.error("missing element " + base + "/key");
        }
        if (path == null) {
            throw XmlCursor.error("missing element " + base + "/target");
        }
        return new Device.Lease(lockspace, key, path, offset);
    }
}
