package io.jvirt.driver.vz.sim;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.driver.vz.sdk.SnapshotInfo;
import io.jvirt.driver.vz.sdk.VmState;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * The emulated host's disk: one properties file per VM under {@code ROOT/vms/UUID.vm}, written
 * atomically (temp file, fsync, rename). Configurations are stored as domain XML.
 */
final class SimStore {
    private static final System.Logger LOG = System.getLogger(SimStore.class.getName());

    private final Path dir;

    SimStore(Path root) {
        this.dir = root.resolve("vms");
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot create emulator directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Loads every VM; an unreadable file is reported and left in place. */
    List<SimVm> load() {
        List<SimVm> out = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.vm")) {
            for (Path f : files) {
                try {
                    out.add(read(f));
                } catch (IOException | RuntimeException e) {
                    LOG.log(Level.WARNING, "emulator: skipping unreadable VM file " + f + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    void save(SimVm vm) {
        if (vm.transientVm) {
            delete(vm.uuid);
            return;
        }
        Properties p = new Properties();
        p.setProperty("config", DomainXml.format(vm.config));
        p.setProperty("state", vm.state.name());
        p.setProperty("runId", Integer.toString(vm.runId));
        p.setProperty("autostart", Boolean.toString(vm.autostart));
        p.setProperty("managedSave", Boolean.toString(vm.managedSave));
        p.setProperty("lastReason", vm.lastReason);
        p.setProperty("nextNetIndex", Integer.toString(vm.nextNetIndex));
        for (Map.Entry<String, Integer> e : vm.netIndex.entrySet()) {
            p.setProperty("net." + e.getKey(), e.getValue().toString());
        }
        if (vm.currentSnapshot != null) {
            p.setProperty("currentSnapshot", vm.currentSnapshot);
        }
        int i = 0;
        for (SnapshotInfo s : vm.snapshots.values()) {
            String k = "snapshot." + i++ + ".";
            p.setProperty(k + "name", s.name());
            if (s.parent() != null) {
                p.setProperty(k + "parent", s.parent());
            }
            p.setProperty(k + "description", s.description());
            p.setProperty(k + "created", s.created().toString());
            p.setProperty(k + "state", s.vmState().name());
            p.setProperty(k + "config", DomainXml.format(s.config()));
        }
        StringWriter text = new StringWriter();
        try {
            p.store(text, "jvirt vz emulator VM " + vm.uuid);
            writeAtomically(dir.resolve(vm.uuid + ".vm"), text.toString());
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "emulator: cannot save VM " + vm.uuid + ": " + e.getMessage(), e);
        }
    }

    void delete(UUID uuid) {
        try {
            Files.deleteIfExists(dir.resolve(uuid + ".vm"));
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "emulator: cannot delete VM " + uuid + ": " + e.getMessage(), e);
        }
    }

    private static SimVm read(Path f) throws IOException {
        Properties p = new Properties();
        p.load(new StringReader(Files.readString(f, StandardCharsets.UTF_8)));
        DomainDef config = DomainXml.parse(required(p, "config", f));
        SimVm vm = new SimVm(config);
        vm.netIndex.clear();
        vm.state = VmState.valueOf(required(p, "state", f));
        vm.runId = Integer.parseInt(p.getProperty("runId", "-1"));
        vm.autostart = Boolean.parseBoolean(p.getProperty("autostart"));
        vm.managedSave = Boolean.parseBoolean(p.getProperty("managedSave"));
        vm.lastReason = p.getProperty("lastReason", "unknown");
        vm.nextNetIndex = Integer.parseInt(p.getProperty("nextNetIndex", "0"));
        vm.startedNanos = System.nanoTime();
        for (String key : p.stringPropertyNames()) {
            if (key.startsWith("net.")) {
                vm.netIndex.put(key.substring(4), Integer.parseInt(p.getProperty(key)));
            }
        }
        vm.reindexNets();
        vm.currentSnapshot = p.getProperty("currentSnapshot");
        for (int i = 0; p.getProperty("snapshot." + i + ".name") != null; i++) {
            String k = "snapshot." + i + ".";
            vm.snapshots.put(p.getProperty(k + "name"), new SnapshotInfo(p.getProperty(k + "name"),
                    p.getProperty(k + "parent"), p.getProperty(k + "description", ""),
                    Instant.parse(required(p, k + "created", f)), VmState.valueOf(required(p, k + "state", f)),
                    DomainXml.parse(required(p, k + "config", f)), false));
        }
        return vm;
    }

    private static String required(Properties p, String key, Path f) {
        String v = p.getProperty(key);
        if (v == null) {
            throw new IllegalArgumentException("missing '" + key + "' in " + f);
        }
        return v;
    }

    /** Writes {@code text} to {@code target} atomically: temp file, fsync, rename, fsync of the directory. */
    static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(StandardCharsets.UTF_8.encode(text));
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel d = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException ignored) {
            // some file systems cannot fsync a directory; the rename is still atomic
        }
    }
}
