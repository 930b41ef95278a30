package io.jvirt.driver.qemu;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.spi.VirtUri;

import java.nio.file.Path;

/**
 * Where a QEMU driver instance keeps its files.
 *
 * @param configDir persistent definitions ({@code NAME.xml}) and the {@code autostart/} markers
 * @param runDir    status files ({@code NAME.status.json}) and per-domain directories with sockets and the pidfile
 * @param logDir    one log per domain ({@code NAME.log}): QEMU's stderr with a header line per start
 * @param cacheDir  the capabilities cache
 */
public record QemuPaths(Path configDir, Path runDir, Path logDir, Path cacheDir) {
    /**
     * The directories for a URI: {@code qemu:///embed?root=DIR} keeps everything under DIR;
     * {@code qemu:///session} follows the XDG directories; {@code qemu:///system} the system ones.
     */
    public static QemuPaths forUri(VirtUri uri) {
        switch (uri.path()) {
            case "/embed" -> {
                String root = uri.param("root").orElseThrow(() -> new VirtException(ErrorCode.NO_CONNECT,
                        "qemu:///embed needs a root directory: qemu:///embed?root=/ABSOLUTE/DIR"));
                Path r = Path.of(root);
                if (!r.isAbsolute()) {
                    throw new VirtException(ErrorCode.NO_CONNECT, "qemu:///embed root must be an absolute path, not '" + root + "'");
                }
                return new QemuPaths(r.resolve("etc"), r.resolve("run"), r.resolve("log"), r.resolve("cache"));
            }
            case "/session" -> {
                String home = System.getProperty("user.home");
                Path config = env("XDG_CONFIG_HOME", Path.of(home, ".config"));
                Path cache = env("XDG_CACHE_HOME", Path.of(home, ".cache"));
                String runtime = System.getenv("XDG_RUNTIME_DIR");
                Path run = runtime != null && !runtime.isBlank() ? Path.of(runtime)
                        : cache.resolve("jvirt-runtime");
                return new QemuPaths(config.resolve("jvirt/qemu"), run.resolve("jvirt/qemu"),
                        cache.resolve("jvirt/qemu/log"), cache.resolve("jvirt/qemu/cache"));
            }
            case "/system" -> {
                return new QemuPaths(Path.of("/etc/jvirt/qemu"), Path.of("/run/jvirt/qemu"),
                        Path.of("/var/log/jvirt/qemu"), Path.of("/var/cache/jvirt/qemu"));
            }
            default -> throw new VirtException(ErrorCode.NO_CONNECT, "unknown QEMU driver URI '" + uri
                    + "': use qemu:///session, qemu:///system or qemu:///embed?root=DIR");
        }
    }

    private static Path env(String name, Path fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : Path.of(v);
    }

    /** The persistent definition of a domain. */
    public Path definition(String name) {
        return configDir.resolve(name + ".xml");
    }

    /** The autostart marker of a domain. */
    public Path autostart(String name) {
        return configDir.resolve("autostart").resolve(name);
    }

    /** The status file of a running domain. */
    public Path status(String name) {
        return runDir.resolve(name + ".status.json");
    }

    /** The directory of a running domain's sockets and pidfile (short, for unix socket path limits). */
    public Path domainDir(int id, String name) {
        String shortName = name.length() > 20 ? name.substring(0, 20) : name;
        return runDir.resolve("d" + id + "-" + shortName.replaceAll("[^A-Za-z0-9_.-]", "_"));
    }

    /** The log of a domain. */
    public Path log(String name) {
        return logDir.resolve(name + ".log");
    }
}
