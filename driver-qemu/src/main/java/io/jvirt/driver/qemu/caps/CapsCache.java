package io.jvirt.driver.qemu.caps;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.qemu.internal.AtomicFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Capabilities of QEMU binaries, probed once per binary and kept on disk as JSON under the cache
 * directory, keyed by the binary's path and modification time: a new JVM (every {@code jvirsh}
 * call) reads the file instead of probing, and an upgraded binary is probed again.
 */
public final class CapsCache {
    private static final System.Logger LOG = System.getLogger(CapsCache.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path dir;
    private final Map<String, QemuCaps> memory = new ConcurrentHashMap<>();

    /** @param dir where the JSON files live ({@code CACHE/capabilities}) */
    public CapsCache(Path dir) {
        this.dir = dir;
    }

    /** The directory holding the cache files. */
    public Path dir() {
        return dir;
    }

    /**
     * The capabilities of {@code binary}: from memory, else from the cache file if its path and
     * mtime still match, else probed now and stored.
     */
    public QemuCaps get(Path binary) {
        Path abs = binary.toAbsolutePath();
        long mtime;
        try {
            mtime = Files.getLastModifiedTime(abs).toMillis();
        } catch (NoSuchFileException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "QEMU binary " + abs + " does not exist");
        } catch (IOException e) {
            throw new VirtException(ErrorCode.OPERATION_FAILED, "cannot read QEMU binary " + abs + ": " + e.getMessage(), e);
        }
        QemuCaps cached = memory.get(abs.toString());
        if (cached != null && cached.mtimeMillis() == mtime) {
            return cached;
        }
        synchronized (this) {
            cached = memory.get(abs.toString());
            if (cached != null && cached.mtimeMillis() == mtime) {
                return cached;
            }
            Path file = fileFor(abs);
            QemuCaps fromDisk = read(file);
            if (fromDisk != null && fromDisk.binary().equals(abs.toString()) && fromDisk.mtimeMillis() == mtime) {
                memory.put(abs.toString(), fromDisk);
                return fromDisk;
            }
            QemuCaps probed = CapsProbe.probe(abs, dir);
            try {
                AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(probed));
            } catch (IOException e) {
                LOG.log(System.Logger.Level.WARNING, "cannot write capabilities cache " + file + ": " + e.getMessage());
            }
            memory.put(abs.toString(), probed);
            return probed;
        }
    }

    /** The cache file for a binary: {@code DIR/<sha256 of the path>.json}. */
    public Path fileFor(Path binary) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(binary.toAbsolutePath().toString()
                    .getBytes(StandardCharsets.UTF_8));
            return dir.resolve(HexFormat.of().formatHex(h, 0, 16) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static QemuCaps read(Path file) {
        try {
            return JSON.readValue(file.toFile(), QemuCaps.class);
        } catch (NoSuchFileException | java.io.FileNotFoundException e) {
            return null;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "ignoring unreadable capabilities cache " + file + ": " + e.getMessage());
            return null;
        }
    }
}
