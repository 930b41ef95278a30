package io.jvirt.driver.qemu.command;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.qemu.caps.QemuCaps;

import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

import static io.jvirt.driver.qemu.command.QemuCommandBuilder.escape;
import static io.jvirt.driver.qemu.command.QemuCommandBuilder.unsupported;

/**
 * The {@code -blockdev}, {@code -netdev}, {@code -chardev} and {@code -device} arguments of one
 * command line, and the aliases the running domain's devices get (libvirt's naming:
 * {@code virtio-disk0}, {@code net0}, {@code channel0}, …).
 */
final class DeviceArgs {
    private final QemuCommandBuilder.Args a;
    private final boolean q35;
    private final QemuCaps caps;
    private int diskCount;
    private int netCount;
    private int serialCount;
    private int consoleCount;
    private int channelCount;
    private boolean balloonSeen;
    private final Set<String> controllers = new LinkedHashSet<>();

    private final boolean imageLocking;

    DeviceArgs(QemuCommandBuilder.Args a, boolean q35, QemuCaps caps, boolean imageLocking) {
        this.a = a;
        this.q35 = q35;
        this.caps = caps;
        this.imageLocking = imageLocking;
    }

    /** Emits every controller the devices need (explicit ones and implied ones) before any device. */
    void controllers(DomainDef def) {
        for (Device.Controller c : def.devices(Device.Controller.class)) {
            switch (c.type()) {
                case "virtio-serial" -> need("virtio-serial" + c.index());
                case "scsi" -> {
                    if (c.model() != null && !c.model().equals("virtio-scsi")) {
                        throw unsupported("/domain/devices/controller[@type='scsi']/@model", "SCSI model '" + c.model()
                                + "' (virtio-scsi only)");
                    }
                    need("scsi" + c.index());
                }
                case "sata" -> {
                    if (!q35) {
                        need("sata" + c.index());
                    }
                }
                case "pci", "usb", "ide" -> { }
                default -> throw unsupported("/domain/devices/controller/@type", "controller type '" + c.type() + "'");
            }
        }
        for (Device.Disk d : def.disks()) {
            switch (bus(d)) {
                case "scsi" -> need("scsi0");
                case "sata" -> {
                    if (!q35) {
                        need("sata0");
                    }
                }
                default -> { }
            }
        }
        for (Device d : def.devices()) {
            if (d instanceof Device.Channel || (d instanceof Device.Console c && "virtio".equals(c.targetType()))) {
                need("virtio-serial0");
            }
        }
        for (String id : controllers) {
            if (id.startsWith("virtio-serial")) {
                a.add("-device", "virtio-serial-pci,id=" + id);
            } else if (id.startsWith("scsi")) {
                a.add("-device", "virtio-scsi-pci,id=" + id);
            } else if (id.startsWith("sata")) {
                a.add("-device", "ahci,id=" + id);
            }
        }
    }

    private void need(String id) {
        controllers.add(id);
    }

    Device.Controller controller(Device.Controller c) {
        String alias = switch (c.type()) {
            case "virtio-serial" -> "virtio-serial" + c.index();
            case "scsi" -> "scsi" + c.index();
            case "sata" -> q35 ? "ide" : "sata" + c.index();
            case "pci" -> c.index() == 0 ? "pci.0" : "pci." + c.index();
            case "usb" -> "usb";
            case "ide" -> "ide";
            default -> null;
        };
        return new Device.Controller(c.type(), c.index(), c.model(), alias);
    }

    static String bus(Device.Disk d) {
        if (d.targetBus() != null) {
            return d.targetBus();
        }
        String t = d.targetDev();
        if (t.startsWith("vd")) {
            return "virtio";
        }
        if (t.startsWith("sd")) {
            return "scsi";
        }
        if (t.startsWith("hd")) {
            return "ide";
        }
        throw unsupported("/domain/devices/disk/target/@dev", "cannot derive a bus from '" + t + "'; give <target bus>");
    }

    /** {@code vda} → 0, {@code sdb} → 1, {@code hdaa} → 26. */
    static int index(String dev) {
        String letters = dev.replaceFirst("^(vd|sd|hd|xvd)", "");
        if (letters.isEmpty() || !letters.matches("[a-z]+")) {
            throw unsupported("/domain/devices/disk/target/@dev", "invalid disk name '" + dev + "'");
        }
        int n = 0;
        for (char ch : letters.toCharArray()) {
            n = n * 26 + (ch - 'a' + 1);
        }
        return n - 1;
    }

    Device.Disk disk(Device.Disk d) {
        int i = diskCount++;
        String bus = bus(d);
        int idx = index(d.targetDev());
        boolean cdrom = "cdrom".equals(d.device());
        if (!cdrom && !"disk".equals(d.device())) {
            throw unsupported("/domain/devices/disk/@device", "disk device '" + d.device() + "' (disk or cdrom)");
        }
        boolean readonly = d.readonly() || cdrom;
        String format = d.format() == null ? "raw" : d.format();
        if (!format.equals("raw") && !format.equals("qcow2")) {
            throw unsupported("/domain/devices/disk/driver/@type", "disk format '" + format + "' (raw or qcow2)");
        }
        String formatNode = "jv-disk" + i + "-format";
        if (d.source() != null) {
            if (!caps.blockdev()) {
                throw unsupported("/domain/devices/disk", "QEMU " + caps.versionString() + " lacks -blockdev");
            }
            String driver = switch (d.type()) {
                case "file" -> "file";
                case "block" -> "host_device";
                default -> throw unsupported("/domain/devices/disk/@type", "disk type '" + d.type() + "' (file or block)");
            };
            String cache = d.cache() == null ? "default" : d.cache();
            boolean direct;
            boolean noFlush;
            switch (cache) {
                case "default", "writeback" -> { direct = false; noFlush = false; }
                case "none" -> { direct = true; noFlush = false; }
                case "writethrough" -> { direct = false; noFlush = false; }
                case "directsync" -> { direct = true; noFlush = false; }
                case "unsafe" -> { direct = false; noFlush = true; }
                default -> throw unsupported("/domain/devices/disk/driver/@cache", "cache mode '" + cache + "'");
            }
            JsonNodeFactory f = JsonNodeFactory.instance;
            ObjectNode cacheNode = f.objectNode().put("direct", direct).put("no-flush", noFlush);
            ObjectNode storage = f.objectNode().put("driver", driver).put("filename", d.source())
                    .put("node-name", "jv-disk" + i + "-storage").put("auto-read-only", true).put("discard", "unmap");
            storage.set("cache", cacheNode.deepCopy());
            if (!imageLocking) {
                storage.put("locking", "off");
            }
            ObjectNode fmt = f.objectNode().put("node-name", formatNode).put("read-only", readonly)
                    .put("driver", format).put("file", "jv-disk" + i + "-storage");
            fmt.set("cache", cacheNode);
            a.add("-blockdev", storage.toString());
            a.add("-blockdev", fmt.toString());
        } else if (!cdrom) {
            throw unsupported("/domain/devices/disk/source", "disk '" + d.targetDev() + "' has no source");
        }
        StringBuilder dev = new StringBuilder();
        String alias;
        switch (bus) {
            case "virtio" -> {
                if (cdrom) {
                    throw unsupported("/domain/devices/disk/target/@bus", "a CD-ROM cannot be on the virtio bus");
                }
                alias = "virtio-disk" + idx;
                dev.append("virtio-blk-pci");
            }
            case "ide" -> {
                if (q35) {
                    throw unsupported("/domain/devices/disk/target/@bus", "q35 machines have no IDE bus; use sata");
                }
                if (idx > 3) {
                    throw unsupported("/domain/devices/disk/target/@dev", "the IDE bus has 4 units (hda..hdd)");
                }
                if (readonly && !cdrom) {
                    throw unsupported("/domain/devices/disk/readonly", "read-only IDE hard disks are not supported by QEMU");
                }
                alias = "ide0-" + (idx / 2) + "-" + (idx % 2);
                dev.append(cdrom ? "ide-cd" : "ide-hd").append(",bus=ide.").append(idx / 2).append(",unit=").append(idx % 2);
            }
            case "sata" -> {
                if (idx > 5) {
                    throw unsupported("/domain/devices/disk/target/@dev", "the SATA controller has 6 ports");
                }
                if (readonly && !cdrom) {
                    throw unsupported("/domain/devices/disk/readonly", "read-only SATA hard disks are not supported by QEMU");
                }
                alias = "sata0-0-" + idx;
                dev.append(cdrom ? "ide-cd" : "ide-hd").append(",bus=").append(q35 ? "ide." : "sata0.").append(idx);
            }
            case "scsi" -> {
                alias = "scsi0-0-0-" + idx;
                dev.append(cdrom ? "scsi-cd" : "scsi-hd").append(",bus=scsi0.0,channel=0,scsi-id=0,lun=").append(idx);
            }
            default -> throw unsupported("/domain/devices/disk/target/@bus", "disk bus '" + bus + "'");
        }
        if (d.source() != null) {
            dev.append(",drive=").append(formatNode);
        }
        dev.append(",id=").append(alias);
        if (d.shareable()) {
            dev.append(",share-rw=on");
        }
        if (d.serial() != null) {
            dev.append(",serial=").append(escape(d.serial()));
        }
        a.add("-device", dev.toString());
        return new Device.Disk(d.type(), d.device(), d.format(), d.source(), d.targetDev(), d.targetBus(), d.readonly(),
                d.shareable(), d.cache(), d.serial(), alias);
    }

    Device.Interface iface(Device.Interface n) {
        int i = netCount++;
        if (!"user".equals(n.type())) {
            throw unsupported("/domain/devices/interface/@type", "interface type '" + n.type() + "' (only 'user' networking)");
        }
        String model = n.model() == null ? "rtl8139" : n.model();
        String device = switch (model) {
            case "virtio" -> "virtio-net-pci";
            case "e1000" -> "e1000";
            case "e1000e" -> "e1000e";
            case "rtl8139" -> "rtl8139";
            default -> throw unsupported("/domain/devices/interface/model/@type", "NIC model '" + model + "'");
        };
        String alias = "net" + i;
        a.add("-netdev", "user,id=hostnet" + i);
        a.add("-device", device + ",netdev=hostnet" + i + ",id=" + alias + (n.mac() != null ? ",mac=" + n.mac() : ""));
        return new Device.Interface(n.type(), n.mac(), n.model(), n.source(), n.target(), alias);
    }

    private void chardev(String id, Device.CharSource src, String where) {
        String type = src == null || src.type() == null ? "pty" : src.type();
        switch (type) {
            case "pty" -> a.add("-chardev", "pty,id=" + id);
            case "null" -> a.add("-chardev", "null,id=" + id);
            case "file" -> {
                if (src.path() == null) {
                    throw unsupported(where + "/source/@path", "a file character device needs a path");
                }
                a.add("-chardev", "file,id=" + id + ",path=" + escape(src.path()));
            }
            case "unix" -> {
                if (src.path() == null) {
                    throw unsupported(where + "/source/@path", "a unix character device needs a path");
                }
                boolean server = src.mode() == null || src.mode().equals("bind");
                a.add("-chardev", "socket,id=" + id + ",path=" + escape(src.path())
                        + (server ? ",server=on,wait=off" : ",server=off"));
            }
            default -> throw unsupported(where + "/@type", "character device type '" + type + "'");
        }
    }

    Device.Serial serial(Device.Serial s) {
        int i = serialCount++;
        chardev("charserial" + i, s.source(), "/domain/devices/serial");
        String alias = "serial" + i;
        a.add("-device", "isa-serial,chardev=charserial" + i + ",id=" + alias + ",index=" + s.port());
        return new Device.Serial(s.source(), s.port(), alias);
    }

    Device.Console console(Device.Console c) {
        if (c.targetType() == null || "serial".equals(c.targetType())) {
            // the first serial port doubles as the console, as in libvirt: nothing more to start
            return new Device.Console(c.source(), c.targetType(), c.port(), "serial" + c.port());
        }
        if (!"virtio".equals(c.targetType())) {
            throw unsupported("/domain/devices/console/target/@type", "console type '" + c.targetType() + "'");
        }
        int i = consoleCount++;
        chardev("charconsole" + i, c.source(), "/domain/devices/console");
        String alias = "console" + i;
        a.add("-device", "virtconsole,bus=virtio-serial0.0,chardev=charconsole" + i + ",id=" + alias);
        return new Device.Console(c.source(), c.targetType(), c.port(), alias);
    }

    Device.Channel channel(Device.Channel ch, Path channelDir) {
        int i = channelCount++;
        if (!"virtio".equals(ch.targetType())) {
            throw unsupported("/domain/devices/channel/target/@type", "channel type '" + ch.targetType() + "' (virtio only)");
        }
        Device.CharSource src = ch.source();
        if (src == null || ("unix".equals(src.type()) && src.path() == null)) {
            String file = ch.targetName() != null ? ch.targetName() : "channel" + i;
            src = new Device.CharSource("unix", channelDir.resolve(file).toString(), "bind");
        }
        if ("unix".equals(src.type()) && src.path().length() > 107) {
            throw unsupported("/domain/devices/channel/source/@path", "unix socket path longer than 107 bytes: " + src.path());
        }
        chardev("charchannel" + i, src, "/domain/devices/channel");
        String alias = "channel" + i;
        StringBuilder dev = new StringBuilder("virtserialport,bus=virtio-serial0.0,chardev=charchannel").append(i)
                .append(",id=").append(alias);
        if (ch.targetName() != null) {
            dev.append(",name=").append(escape(ch.targetName()));
        }
        a.add("-device", dev.toString());
        return new Device.Channel(src, ch.targetType(), ch.targetName(), alias);
    }

    Device.Memballoon balloon(Device.Memballoon b) {
        if (balloonSeen) {
            throw unsupported("/domain/devices/memballoon", "only one memory balloon");
        }
        balloonSeen = true;
        if ("none".equals(b.model())) {
            return b;
        }
        if (!"virtio".equals(b.model())) {
            throw unsupported("/domain/devices/memballoon/@model", "balloon model '" + b.model() + "'");
        }
        a.add("-device", "virtio-balloon-pci,id=balloon0");
        return new Device.Memballoon(b.model(), b.statsPeriodSeconds(), "balloon0");
    }

    /** @return whether a display was configured */
    boolean graphics(Device.Graphics g) {
        if ("none".equals(g.type())) {
            return false;
        }
        if (!"vnc".equals(g.type())) {
            throw unsupported("/domain/devices/graphics/@type", "graphics type '" + g.type() + "' (vnc only)");
        }
        String listen = g.listen() == null ? "127.0.0.1" : g.listen();
        if (listen.contains(":")) {
            listen = "[" + listen + "]";
        }
        if (g.autoport() || g.port() < 0) {
            a.add("-vnc", listen + ":0,to=99");
        } else {
            if (g.port() < 5900) {
                throw unsupported("/domain/devices/graphics/@port", "VNC port " + g.port() + " is below 5900");
            }
            a.add("-vnc", listen + ":" + (g.port() - 5900));
        }
        a.add("-device", "VGA,id=video0");
        return true;
    }

    void finish() {
        // room for checks across devices; nothing pending today
    }
}
