package io.jvirt.api;

import io.jvirt.api.internal.Connector;

import java.util.ServiceLoader;

/**
 * The entry point: {@code try (Connection c = Virt.open("qemu:///session")) { … }}.
 *
 * <p>URIs follow libvirt: {@code driver[+transport]://[host]/path[?query]}, e.g.
 * {@code test:///default}, {@code qemu:///session}, {@code qemu:///embed?root=/tmp/vm},
 * {@code vz:///sim}. Drivers are found on the class path with {@link ServiceLoader}.
 */
public final class Virt {
    private static final Version LIBRARY_VERSION = new Version(0, 1, 0);

    private Virt() {
    }

    /**
     * Opens a connection to the driver that accepts {@code uri}.
     *
     * @throws VirtException {@link ErrorCode#NO_CONNECT} when no driver accepts the URI (the
     *                       message lists the URI and the drivers found) or the driver cannot connect
     */
    public static Connection open(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "connection URI must not be empty");
        }
        for (Connector connector : ServiceLoader.load(Connector.class, Virt.class.getClassLoader())) {
            return connector.open(uri);
        }
        throw new VirtException(ErrorCode.NO_CONNECT,
                "no driver framework on the class path to open '" + uri + "': add io.jvirt:jvirt-spi and a driver");
    }

    /** This library's version. */
    public static Version libraryVersion() {
        return LIBRARY_VERSION;
    }
}
