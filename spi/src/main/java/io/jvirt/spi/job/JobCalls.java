package io.jvirt.spi.job;

/**
 * What a normal (or nested) job and an async job both offer for work outside the domain: the
 * calls that drop the domain lock and re-check the domain afterwards. Code that runs under
 * either kind (e.g. releasing disk locks after the vCPUs stopped, for a suspend or a save) takes
 * this instead of one of the two classes.
 */
public interface JobCalls {
    /** Calls the monitor with the domain lock dropped, then re-checks the domain. */
    <T, E extends Exception> T monitor(Call<T, E> call) throws E;

    /** {@link #monitor(Call)} for a call without a result. */
    default <E extends Exception> void monitorVoid(Action<E> action) throws E {
        monitor(() -> {
            action.run();
            return null;
        });
    }

    /** Waits on something outside the domain with the domain lock dropped, then re-checks the domain. */
    <T, E extends Exception> T remote(Call<T, E> call) throws E;

    /** {@link #remote(Call)} for a call without a result. */
    default <E extends Exception> void remoteVoid(Action<E> action) throws E {
        remote(() -> {
            action.run();
            return null;
        });
    }
}
