package io.jvirt.spi.job;

/**
 * Work done with the domain lock dropped (a monitor, agent or remote call) that returns a value.
 *
 * @param <T> the result
 * @param <E> what it may throw
 */
@FunctionalInterface
public interface Call<T, E extends Exception> {
    /** Does the work. */
    T call() throws E;
}
