package io.jvirt.spi.process;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Finds the {@code jvirt-spawn} helper binary: the system property {@code jvirt.spawn.helper}
 * if set; else the copy the build put next to this class (used in place when the classes are a
 * directory, extracted once to a private temporary directory, keyed by its SHA-256, when they are
 * in a jar).
 */
public final class SpawnHelper {
    /** The system property naming an installed helper. */
    public static final String PROPERTY = "jvirt.spawn.helper";
    private static volatile Path located;

    private SpawnHelper() {
    }

    /**
     * The helper's path.
     *
     * @throws VirtException {@code INTERNAL_ERROR} if it is missing (the build did not compile it)
     */
    public static Path locate() {
        Path p = located;
        if (p != null) {
            return p;
        }
        synchronized (SpawnHelper.class) {
            if (located == null) {
                located = find();
            }
            return located;
        }
    }

    private static Path find() {
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) {
            Path p = Path.of(prop);
            if (!Files.isExecutable(p)) {
                throw new VirtException(ErrorCode.INTERNAL_ERROR, PROPERTY + "=" + prop + " is not an executable file");
            }
            return p;
        }
        URL url = SpawnHelper.class.getResource("jvirt-spawn");
        if (url == null) {
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "the jvirt-spawn helper is missing from the spi module "
                    + "(it is compiled from spi/src/main/c/jvirt-spawn.c by the build, which needs gcc)");
        }
        try {
            if (url.getProtocol().equals("file")) {
                Path p = Path.of(url.toURI());
                if (!Files.isExecutable(p)) {
                    p.toFile().setExecutable(true);
                }
                return p;
            }
            byte[] bytes;
            try (InputStream in = url.openStream()) {
                bytes = in.readAllBytes();
            }
            String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes), 0, 12);
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "jvirt-spawn-" + System.getProperty("user.name"), hash);
            Path target = dir.resolve("jvirt-spawn");
            if (Files.isExecutable(target) && Files.size(target) == bytes.length) {
                return target;
            }
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir.getParent(), PosixFilePermissions.fromString("rwx------"));
            Path tmp = Files.createTempFile(dir, ".jvirt-spawn", ".tmp");
            Files.write(tmp, bytes);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return target;
        } catch (IOException | URISyntaxException | NoSuchAlgorithmException e) {
            throw new VirtException(ErrorCode.INTERNAL_ERROR, "cannot prepare the jvirt-spawn helper: " + e.getMessage(), e);
        }
    }
}
