package io.jvirt.spi.job;

/**
 * Work done with the domain lock dropped (a monitor, agent or remote call) that returns nothing.
 *
 * @param <E> what it may throw
 */
@FunctionalInterface
public interface Action<E extends Exception> {
    /** Does the work. */
    void run() throws E;
}
