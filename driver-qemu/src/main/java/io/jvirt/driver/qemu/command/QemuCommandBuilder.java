package io.jvirt.driver.qemu.command;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.qemu.caps.QemuCaps;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns a {@link DomainDef} into QEMU's argument vector. Always {@code -S} (CPUs start with
 * {@code cont} after setup), {@code -no-user-config -nodefaults}, the QMP monitor on a unix socket,
 * a pidfile; disks as {@code -blockdev} node pairs plus a {@code -device}; no display unless VNC is
 * asked for. What the driver cannot run fails with {@code CONFIG_UNSUPPORTED} naming the element.
 */
public final class QemuCommandBuilder {
    private final QemuCaps caps;
    private final CommandOptions options;

    public QemuCommandBuilder(QemuCaps caps, CommandOptions options) {
        this.caps = caps;
        this.options = options;
    }

    /** Builds the command for {@code def} with the given paths. */
    public QemuCommand build(DomainDef def, CommandPaths paths) {
        Args a = new Args();
        String binary = def.emulator() != null ? def.emulator() : options.defaultEmulator();
        a.add(binary);
        a.add("-name", "guest=" + escape(def.name()) + ",debug-threads=on");
        a.add("-S");
        a.add("-msg", "timestamp=on");
        a.add("-uuid", def.uuid().toString());
        String machine = machine(def);
        boolean q35 = machine.contains("q35");
        StringBuilder m = new StringBuilder(machine).append(",usb=off,dump-guest-core=off");
        if (!def.features().contains("acpi")) {
            m.append(",acpi=off");
        }
        a.add("-machine", m.toString());
        a.add("-accel", accel(def));
        a.add("-no-user-config", "-nodefaults");
        a.add("-chardev", "socket,id=charmonitor,path=" + escape(paths.monitorSocket().toString()) + ",server=on,wait=off");
        a.add("-mon", "chardev=charmonitor,id=monitor,mode=control");
        a.add("-pidfile", paths.pidFile().toString());
        if (def.memoryKiB() <= 0) {
            throw unsupported("/domain/memory", "memory must be positive");
        }
        a.add("-m", "size=" + def.memoryKiB() + "k");
        if (def.vcpus() <= 0) {
            throw unsupported("/domain/vcpu", "vcpu count must be positive");
        }
        a.add("-smp", Integer.toString(def.vcpus()));
        String cpu = cpu(def);
        if (cpu != null) {
            a.add("-cpu", cpu);
        }
        String offset = def.clock() == null || def.clock().offset() == null ? "utc" : def.clock().offset();
        if (!offset.equals("utc") && !offset.equals("localtime")) {
            throw unsupported("/domain/clock/@offset", "clock offset '" + offset + "' (utc or localtime)");
        }
        a.add("-rtc", "base=" + offset);
        if ("destroy".equals(def.onReboot())) {
            a.add("-no-reboot");
        }
        os(def, a);
        List<Device> live = new ArrayList<>();
        Path agentSocket = null;
        DeviceArgs devices = new DeviceArgs(a, q35, caps, options.imageLocking());
        devices.controllers(def);
        boolean graphics = false;
        for (Device d : def.devices()) {
            switch (d) {
                case Device.Disk disk -> live.add(devices.disk(disk));
                case Device.Controller c -> live.add(devices.controller(c));
                case Device.Interface iface -> live.add(devices.iface(iface));
                case Device.Serial s -> live.add(devices.serial(s));
                case Device.Console c -> live.add(devices.console(c));
                case Device.Channel ch -> {
                    Device.Channel out = devices.channel(ch, paths.channelDir());
                    if (Device.Channel.GUEST_AGENT.equals(out.targetName())) {
                        agentSocket = Path.of(out.source().path());
                    }
                    live.add(out);
                }
                case Device.Memballoon b -> live.add(devices.balloon(b));
                case Device.Graphics g -> {
                    graphics |= devices.graphics(g);
                    live.add(g);
                }
                case Device.Lease l -> live.add(l);
            }
        }
        devices.finish();
        if (!graphics) {
            a.add("-display", "none");
        }
        return new QemuCommand(a.list, def.withDevices(live), agentSocket);
    }

    private String machine(DomainDef def) {
        String machine = def.os().machine();
        if (machine == null) {
            machine = caps.defaultMachine();
            if (machine == null) {
                throw unsupported("/domain/os/type/@machine", "no machine type given and QEMU has no default");
            }
        }
        if (!caps.hasMachine(machine)) {
            throw unsupported("/domain/os/type/@machine", "machine type '" + machine + "' is not supported by "
                    + caps.binary() + " (QEMU " + caps.versionString() + ")");
        }
        for (String alias : caps.machineAliases()) {
            if (alias.startsWith(machine + "=")) {
                return alias.substring(machine.length() + 1);
            }
        }
        return machine;
    }

    private String accel(DomainDef def) {
        return switch (def.type()) {
            case "qemu" -> options.tcgTbSizeMiB() > 0 ? "tcg,tb-size=" + options.tcgTbSizeMiB() : "tcg";
            case "kvm" -> {
                if (!caps.kvmPresent()) {
                    throw unsupported("/domain/@type", "domain type 'kvm' but " + caps.binary() + " has no KVM support");
                }
                yield "kvm";
            }
            default -> throw unsupported("/domain/@type", "domain type '" + def.type() + "' (the QEMU driver runs 'qemu' and 'kvm')");
        };
    }

    private String cpu(DomainDef def) {
        DomainDef.CpuDef cpu = def.cpu();
        if (cpu == null || cpu.mode() == null) {
            return cpu != null && cpu.model() != null ? model(cpu.model()) : null;
        }
        boolean kvm = def.type().equals("kvm");
        return switch (cpu.mode()) {
            case "host-passthrough" -> {
                if (!kvm) {
                    throw unsupported("/domain/cpu/@mode", "host-passthrough needs <domain type='kvm'>");
                }
                yield "host";
            }
            case "host-model" -> kvm ? "host" : "max";
            case "maximum" -> "max";
            case "custom" -> {
                if (cpu.model() == null) {
                    throw unsupported("/domain/cpu/model", "custom CPU mode needs a <model>");
                }
                yield model(cpu.model());
            }
            default -> throw unsupported("/domain/cpu/@mode", "CPU mode '" + cpu.mode() + "'");
        };
    }

    private String model(String model) {
        if (!caps.cpuModels().isEmpty() && !caps.cpuModels().contains(model)) {
            throw unsupported("/domain/cpu/model", "CPU model '" + model + "' is not known to " + caps.binary());
        }
        return model;
    }

    private static void os(DomainDef def, Args a) {
        DomainDef.OsDef os = def.os();
        if (!"hvm".equals(os.type())) {
            throw unsupported("/domain/os/type", "OS type '" + os.type() + "' (the QEMU driver runs 'hvm')");
        }
        if (os.arch() != null && !os.arch().equals("x86_64") && !os.arch().equals("i686")) {
            throw unsupported("/domain/os/type/@arch", "architecture '" + os.arch() + "'");
        }
        if (os.kernel() != null) {
            a.add("-kernel", os.kernel());
            if (os.initrd() != null) {
                a.add("-initrd", os.initrd());
            }
            if (os.cmdline() != null) {
                a.add("-append", os.cmdline());
            }
        } else if (os.initrd() != null || os.cmdline() != null) {
            throw unsupported("/domain/os/initrd", "initrd and cmdline need a <kernel>");
        }
        if (!os.boot().isEmpty() && os.kernel() == null) {
            StringBuilder order = new StringBuilder();
            for (String dev : os.boot()) {
                order.append(switch (dev) {
                    case "hd" -> 'c';
                    case "cdrom" -> 'd';
                    case "network" -> 'n';
                    case "fd" -> 'a';
                    default -> throw unsupported("/domain/os/boot/@dev", "boot device '" + dev + "'");
                });
            }
            a.add("-boot", "order=" + order + ",strict=on");
        }
    }

    /** Doubles commas, QEMU's escape inside option values. */
    static String escape(String value) {
        return value.replace(",", ",,");
    }

    static VirtException unsupported(String where, String what) {
        return new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: " + where + ": " + what);
    }

    static String lower(String s) {
        return s == null ? null : s.toLowerCase(Locale.ROOT);
    }

    /** A growing argument vector. */
    static final class Args {
        final List<String> list = new ArrayList<>();

        void add(String... parts) {
            list.addAll(List.of(parts));
        }
    }
}
