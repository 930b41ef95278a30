package io.jvirt.driver.qemu.monitor;

/**
 * Receives what a {@link QmpMonitor} hears besides replies. Both methods run on the monitor's
 * event worker (one virtual thread per monitor, in arrival order), never on the reader thread,
 * so they may block briefly, e.g. to take a domain job.
 */
public interface QmpListener {
    /** An asynchronous event. */
    void onEvent(QmpEvent event);

    /**
     * The monitor is gone. Called exactly once, after every pending command has failed.
     *
     * @param error why: null when closed by {@link QmpMonitor#close()}, else the EOF or protocol error
     */
    void onClosed(Throwable error);

    /** A listener that ignores everything. */
    static QmpListener ignoring() {
        return new QmpListener() {
            @Override
            public void onEvent(QmpEvent event) {
            }

            @Override
            public void onClosed(Throwable error) {
            }
        };
    }
}
