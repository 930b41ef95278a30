package io.jvirt.spi.security;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import java.util.TreeMap;

/**
 * The DAC security driver's labelling: gives files to the unprivileged user QEMU runs as and
 * gives them back. For each path it remembers the original owner, group and mode — persisted
 * in {@code STATEDIR/dac-remember.properties} (written atomically) before anything changes,
 * so a driver restart can still restore — with a reference count, so a file labelled for two
 * guests is restored when the last lets go. Remembering and restoring happen under a
 * {@link MetadataLock} on the paths. Thread-safe.
 */
public final class DacLabeler {
    private static final System.Logger LOG = System.getLogger(DacLabeler.class.getName());
    private static final String FILE = "dac-remember.properties";

    private final Path stateFile;
    private final int uid;
    private final int gid;
    private final Duration lockTimeout;

    /** A remembered original: owner, group, permission bits, and how many labels hold it. */
    record Original(int uid, int gid, int mode, int refs) {
        String encode() {
            return uid + ":" + gid + ":" + Integer.toOctalString(mode) + ":" + refs;
        }

        static Original decode(String s) {
            String[] f = s.split(":");
            return new Original(Integer.parseInt(f[0]), Integer.parseInt(f[1]), Integer.parseInt(f[2], 8), Integer.parseInt(f[3]));
        }
    }

    /**
     * @param stateDir    where the remembered originals are kept (created if missing)
     * @param uid         the user QEMU runs as
     * @param gid         its group
     * @param lockTimeout how long to retry a busy metadata lock (about 10 s in production)
     */
    public DacLabeler(Path stateDir, int uid, int gid, Duration lockTimeout) {
        this.stateFile = stateDir.resolve(FILE);
        this.uid = uid;
        this.gid = gid;
        this.lockTimeout = lockTimeout;
    }

    /** Gives every path to the QEMU user (owner rw kept in the mode), remembering the originals. */
    public synchronized void label(Collection<Path> paths) {
        List<Path> ps = canonical(paths);
        try (MetadataLock ignored = MetadataLock.lock(ps, lockTimeout)) {
            TreeMap<String, Original> state = load();
            List<Path> changed = new ArrayList<>();
            for (Path p : ps) {
                Original o = state.get(p.toString());
                state.put(p.toString(), o == null ? read(p) : new Original(o.uid, o.gid, o.mode, o.refs + 1));
            }
            save(state); // remembered before anything changes
            try {
                for (Path p : ps) {
                    Original o = state.get(p.toString());
                    changed.add(p);
                    Files.setAttribute(p, "unix:gid", gid);
                    Files.setAttribute(p, "unix:uid", uid);
                    Files.setAttribute(p, "unix:mode", o.mode | 0600);
                }
            } catch (IOException e) {
                for (Path p : ps) {
                    restoreOne(p, state); // also undoes the reference taken on paths not reached
                }
                save(state);
                throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot label " + changed.getLast() + " for uid " + uid
                        + ": " + e.getMessage(), e);
            }
        }
    }

    /** Gives every path back to its remembered owner and mode once its last label is restored. */
    public synchronized void restore(Collection<Path> paths) {
        List<Path> ps = canonical(paths);
        try (MetadataLock ignored = MetadataLock.lock(ps, lockTimeout)) {
            TreeMap<String, Original> state = load();
            for (Path p : ps) {
                restoreOne(p, state);
            }
            save(state);
        }
    }

    /** The remembered original of {@code path}, if labelled. */
    public synchronized Original remembered(Path path) {
        return load().get(path.toAbsolutePath().normalize().toString());
    }

    private void restoreOne(Path p, TreeMap<String, Original> state) {
        Original o = state.get(p.toString());
        if (o == null) {
            LOG.log(System.Logger.Level.WARNING, "no remembered owner for {0}; leaving it as it is", p);
            return;
        }
        if (o.refs > 1) {
            state.put(p.toString(), new Original(o.uid, o.gid, o.mode, o.refs - 1));
            return;
        }
        state.remove(p.toString());
        try {
            Files.setAttribute(p, "unix:uid", o.uid);
            Files.setAttribute(p, "unix:gid", o.gid);
            Files.setAttribute(p, "unix:mode", o.mode);
        } catch (NoSuchFileException e) {
            LOG.log(System.Logger.Level.INFO, "{0} is gone; nothing to restore", p);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot restore the owner of " + p + ": " + e.getMessage());
        }
    }

    private static Original read(Path p) {
        try {
            return new Original((Integer) Files.getAttribute(p, "unix:uid"), (Integer) Files.getAttribute(p, "unix:gid"),
                    (Integer) Files.getAttribute(p, "unix:mode") & 07777, 1);
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot read the owner of " + p + ": " + e.getMessage(), e);
        }
    }

    private static List<Path> canonical(Collection<Path> paths) {
        return paths.stream().map(p -> p.toAbsolutePath().normalize()).distinct().sorted().toList();
    }

    private TreeMap<String, Original> load() {
        TreeMap<String, Original> out = new TreeMap<>();
        Properties props = new Properties();
        try (Reader r = Files.newBufferedReader(stateFile, StandardCharsets.UTF_8)) {
            props.load(r);
        } catch (NoSuchFileException e) {
            return out;
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot read " + stateFile + ": " + e.getMessage(), e);
        }
        for (String k : props.stringPropertyNames()) {
            try {
                out.put(k, Original.decode(props.getProperty(k)));
            } catch (RuntimeException e) {
                throw new VirtException(ErrorCode.INTERNAL_ERROR, stateFile + ": bad entry for " + k + ": " + props.getProperty(k));
            }
        }
        return out;
    }

    /** Writes the state atomically: temp file, fsync, rename. */
    private void save(TreeMap<String, Original> state) {
        Properties props = new Properties();
        state.forEach((k, v) -> props.setProperty(k, v.encode()));
        try {
            Files.createDirectories(stateFile.getParent());
            Path tmp = stateFile.resolveSibling(FILE + ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
                props.store(out, "original owner:group:mode:refs of files labelled for QEMU");
                ch.force(true);
            }
            try {
                Files.move(tmp, stateFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot write " + stateFile + ": " + e.getMessage(), e);
        }
    }
}
