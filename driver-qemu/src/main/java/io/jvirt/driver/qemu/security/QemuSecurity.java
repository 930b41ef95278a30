package io.jvirt.driver.qemu.security;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.spi.lock.ConfFile;
import io.jvirt.spi.process.PassedSocket;
import io.jvirt.spi.process.PreExecHook;
import io.jvirt.spi.security.DacLabeler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The QEMU driver's DAC security driver. When {@code qemu.conf} names a {@code user} (and
 * optionally a {@code group}, default the user's primary group), QEMU runs as that user and,
 * between the lock manager's registration and the exec, the domain's disk images, its run
 * directory (monitor socket, pidfile, agent socket) and its log are given to it with
 * {@link DacLabeler}, which remembers the originals in {@code STATEDIR/dac-remember.properties}
 * so that they are restored at stop, also by a later driver instance. Without a {@code user}
 * QEMU runs as the driver's user and nothing is relabelled.
 */
public final class QemuSecurity {
    private static final System.Logger LOG = System.getLogger(QemuSecurity.class.getName());
    private static final Duration METADATA_LOCK_TIMEOUT = Duration.ofSeconds(10);

    private final String user;
    private final int uid;
    private final int gid;
    private final DacLabeler labeler;

    private QemuSecurity(String user, int uid, int gid, DacLabeler labeler) {
        this.user = user;
        this.uid = uid;
        this.gid = gid;
        this.labeler = labeler;
    }

    /**
     * Reads {@code user} and {@code group} of {@code qemu.conf}.
     *
     * @param conf     the driver's {@code qemu.conf}
     * @param stateDir where the remembered owners are kept (must survive driver restarts)
     * @throws VirtException {@code INVALID_ARG} for an unknown user or group, naming the file and line
     */
    public static QemuSecurity open(ConfFile conf, Path stateDir) {
        String user = conf.getString("user", null);
        String group = conf.getString("group", null);
        if (user == null || user.isBlank()) {
            if (group != null) {
                throw conf.error("group", "'group' needs 'user' as well");
            }
            return new QemuSecurity(null, -1, -1, null);
        }
        int[] u = lookupUser(conf, user);
        int gid = group == null ? u[1] : lookupGroup(conf, group);
        return new QemuSecurity(user, u[0], gid, new DacLabeler(stateDir, u[0], gid, METADATA_LOCK_TIMEOUT));
    }

    /** Whether QEMU runs as a configured user (and files are labelled for it). */
    public boolean enabled() {
        return labeler != null;
    }

    /** The uid QEMU runs as, or -1 when not {@link #enabled()}. */
    public int uid() {
        return uid;
    }

    /** The gid QEMU runs as, or -1 when not {@link #enabled()}. */
    public int gid() {
        return gid;
    }

    /** Fails clearly when labelling is configured but the driver cannot change owners. */
    public void checkUsable() {
        if (enabled() && !"root".equals(System.getProperty("user.name"))) {
            throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "qemu.conf sets user = \"" + user
                    + "\": running QEMU as another user and relabelling its files needs a driver running as root");
        }
    }

    /**
     * What a domain needs labelled: its disks that exist (image files and block devices), its run
     * directory and its log.
     */
    public static List<Path> paths(DomainDef live, Path domainDir, Path log) {
        List<Path> out = new ArrayList<>();
        for (Device dev : live.devices()) {
            if (dev instanceof Device.Disk d && d.source() != null && !d.source().isBlank()) {
                Path p = Path.of(d.source());
                if (Files.exists(p)) {
                    out.add(p);
                }
            }
        }
        out.add(domainDir);
        if (Files.exists(log)) {
            out.add(log);
        }
        return List.copyOf(out);
    }

    /** The pre-exec hook that labels {@code paths} just before exec (after the lock manager registered). */
    public PreExecHook labelHook(List<Path> paths) {
        return new PreExecHook() {
            @Override
            public String name() {
                return "dac";
            }

            @Override
            public List<Path> sockets() {
                return List.of();
            }

            @Override
            public void beforeExec(long pid, List<PassedSocket> sockets) {
                labeler.label(paths);
            }

            @Override
            public void aborted(long pid, Throwable cause) {
                restore(paths);
            }
        };
    }

    /** Gives {@code paths} back to their remembered owners; logs instead of throwing. */
    public void restore(List<Path> paths) {
        if (!enabled() || paths.isEmpty()) {
            return;
        }
        try {
            labeler.restore(paths.stream().filter(Files::exists).toList());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot restore the owners of " + paths + ": " + e.getMessage());
        }
    }

    private static int[] lookupUser(ConfFile conf, String name) {
        if (name.startsWith("+")) {
            int uid = parseId(conf, "user", name);
            return new int[]{uid, uid};
        }
        for (String line : lines(Path.of("/etc/passwd"))) {
            String[] f = line.split(":");
            if (f.length >= 4 && f[0].equals(name)) {
                return new int[]{Integer.parseInt(f[2]), Integer.parseInt(f[3])};
            }
        }
        throw conf.error("user", "no such user '" + name + "'");
    }

    private static int lookupGroup(ConfFile conf, String name) {
        if (name.startsWith("+")) {
            return parseId(conf, "group", name);
        }
        for (String line : lines(Path.of("/etc/group"))) {
            String[] f = line.split(":");
            if (f.length >= 3 && f[0].equals(name)) {
                return Integer.parseInt(f[2]);
            }
        }
        throw conf.error("group", "no such group '" + name + "'");
    }

    private static int parseId(ConfFile conf, String key, String v) {
        try {
            return Integer.parseInt(v.substring(1));
        } catch (NumberFormatException e) {
            throw conf.error(key, "bad numeric id '" + v + "'");
        }
    }

    private static List<String> lines(Path file) {
        try {
            return Files.readAllLines(file);
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
