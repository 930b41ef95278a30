package io.jvirt.api;

/**
 * Access to driver-specific extras without widening the common API, as JDBC's
 * {@code java.sql.Wrapper} does: {@code dom.unwrap(QemuDomain.class).monitorCommand(json)}.
 */
public interface Wrapper {
    /**
     * Returns this object as {@code type}, or a driver object that implements it.
     *
     * @throws VirtException with {@link ErrorCode#NO_SUPPORT} if the driver has no such extra
     */
    <T> T unwrap(Class<T> type);

    /** Whether {@link #unwrap(Class)} would succeed for {@code type}. */
    boolean isWrapperFor(Class<?> type);
}
