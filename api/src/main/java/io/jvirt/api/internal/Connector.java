package io.jvirt.api.internal;

import io.jvirt.api.Connection;

/**
 * The bridge from {@link io.jvirt.api.Virt} to the driver framework that implements connections.
 * Found with {@link java.util.ServiceLoader}; the {@code spi} module provides the one
 * implementation, which in turn finds drivers. Not for applications.
 */
public interface Connector {
    /**
     * Opens {@code uri} with the first driver that accepts it.
     *
     * @throws io.jvirt.api.VirtException {@code NO_CONNECT} naming the drivers found when none accepts it
     */
    Connection open(String uri);
}
