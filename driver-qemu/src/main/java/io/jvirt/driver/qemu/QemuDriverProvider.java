package io.jvirt.driver.qemu;

import com.google.auto.service.AutoService;
import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.ProvisionException;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.qemu.caps.CapsCache;
import io.jvirt.driver.qemu.caps.KvmStatus;
import io.jvirt.driver.qemu.command.CommandOptions;
import io.jvirt.spi.DriverContext;
import io.jvirt.spi.DriverProvider;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.VirtUri;
import io.jvirt.spi.job.JobConfig;
import io.jvirt.spi.process.Spawner;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * The QEMU driver's entry point: {@code qemu:///session}, {@code qemu:///system} and
 * {@code qemu:///embed?root=DIR}. Connections to the same URI in one JVM share one
 * {@link QemuHost} (one monitor per QEMU); the host is wired by a Guice injector built here.
 */
@AutoService(DriverProvider.class)
public final class QemuDriverProvider implements DriverProvider {
    private static final Map<String, Shared> HOSTS = new HashMap<>();

    private record Shared(QemuHost host, int[] refs) {
    }

    /** Public no-argument constructor for {@link java.util.ServiceLoader}. */
    public QemuDriverProvider() {
    }

    @Override
    public String name() {
        return "qemu";
    }

    @Override
    public boolean accepts(VirtUri uri) {
        return uri.driver().equals("qemu");
    }

    @Override
    public HypervisorDriver open(VirtUri uri, DriverContext context) {
        if (!uri.transport().isEmpty() || !uri.isLocal()) {
            throw new VirtException(ErrorCode.NO_CONNECT, "the QEMU driver is local only; '" + uri
                    + "' names a transport or a remote host");
        }
        QemuPaths paths = QemuPaths.forUri(uri);
        if (uri.path().equals("/system")) {
            requireRoot();
        }
        String normal = switch (uri.path()) {
            case "/embed" -> "qemu:///embed?root=" + uri.param("root").orElseThrow();
            default -> "qemu://" + uri.path();
        };
        String key = paths.runDir().toAbsolutePath().normalize().toString();
        QemuHost host;
        QemuDriver driver;
        synchronized (HOSTS) {
            Shared s = HOSTS.get(key);
            if (s == null) {
                QemuConfig config = new QemuConfig(normal, paths, commandOptions(),
                        JobConfig.DEFAULTS, Duration.ofMillis(Long.getLong("jvirt.qemu.destroyGraceMillis", 3000)),
                        Duration.ofSeconds(Long.getLong("jvirt.qemu.shutdownTimeoutSeconds", 60)));
                Injector injector = Guice.createInjector(new Module(config));
                QemuHost created;
                try {
                    created = injector.getInstance(QemuHost.class);
                } catch (ProvisionException e) {
                    if (e.getCause() instanceof VirtException v) {
                        throw v; // e.g. a bad qemu.conf or lock manager: the caller sees our error, not Guice's wrapper
                    }
                    throw e;
                }
                s = new Shared(created, new int[1]);
                HOSTS.put(key, s);
            }
            s.refs[0]++;
            host = s.host;
            driver = new QemuDriver(host, context.events(), () -> release(key));
        }
        // after restart recovery (done when the host was built) and once this connection listens
        host.beginAutostart();
        return driver;
    }

    /**
     * {@code qemu:///system} manages the host's shared definitions and runs QEMU as other users:
     * only root may open it (checked before any directory is touched).
     */
    private static void requireRoot() {
        int euid = effectiveUid();
        if (euid != 0) {
            throw new VirtException(ErrorCode.NO_CONNECT, "authentication failed: qemu:///system needs root, but this"
                    + " process runs as user '" + System.getProperty("user.name") + "' (uid " + euid
                    + "); use qemu:///session for your own domains, or run as root");
        }
    }

    /** The effective uid: the owner of {@code /proc/self}. */
    private static int effectiveUid() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            return "root".equals(System.getProperty("user.name")) ? 0 : -1;
        }
    }

    private static CommandOptions commandOptions() {
        String binary = System.getProperty("jvirt.qemu.binary", CommandOptions.defaults().defaultEmulator());
        int tb = Integer.getInteger("jvirt.qemu.tcgTbSizeMiB", 0);
        return new CommandOptions(binary, tb);
    }

    private static void release(String key) {
        QemuHost toClose = null;
        synchronized (HOSTS) {
            Shared s = HOSTS.get(key);
            if (s != null && --s.refs[0] == 0) {
                HOSTS.remove(key);
                toClose = s.host;
            }
        }
        if (toClose != null) {
            toClose.close();
        }
    }

    /** The Guice wiring of one host. */
    private static final class Module extends AbstractModule {
        private final QemuConfig config;

        Module(QemuConfig config) {
            this.config = config;
        }

        @Override
        protected void configure() {
            bind(QemuConfig.class).toInstance(config);
            bind(CapsCache.class).toInstance(new CapsCache(config.paths().cacheDir().resolve("capabilities")));
            bind(Spawner.class).toInstance(Spawner.create(config.paths().runDir()));
            bind(KvmStatus.class).toInstance(KvmStatus.detect());
        }
    }
}
