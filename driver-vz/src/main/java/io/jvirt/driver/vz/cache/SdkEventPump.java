package io.jvirt.driver.vz.cache;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.vz.job.SdkCalls;
import io.jvirt.driver.vz.sdk.SdkEvent;
import io.jvirt.driver.vz.sdk.SdkException;
import io.jvirt.driver.vz.sdk.SdkSession;
import io.jvirt.driver.vz.sdk.VmInfo;
import io.jvirt.spi.DomainObj;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Applies the SDK's events to the cache. The SDK's thread only queues them; one driver thread
 * handles them in order. For VM added, changed and state events it re-reads the VM through the
 * session (no shared handle, no lock held while waiting) and writes the copy under the domain
 * lock if it is newer than the cached one; statistics go straight into the stats cache.
 */
public final class SdkEventPump implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(SdkEventPump.class.getName());

    private final SdkSession session;
    private final VzCache cache;
    private final Duration sdkTimeout;
    private final LinkedBlockingQueue<SdkEvent> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private final AutoCloseable subscription;
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean closed;

    public SdkEventPump(SdkSession session, VzCache cache, Duration sdkTimeout) {
        this.session = session;
        this.cache = cache;
        this.sdkTimeout = sdkTimeout;
        this.worker = Thread.ofVirtual().name("vz-sdk-events").unstarted(this::loop);
        this.subscription = session.subscribe(e -> {
            pending.incrementAndGet();
            queue.add(e);
        });
        worker.start();
    }

    private void loop() {
        while (!closed) {
            SdkEvent e;
            try {
                e = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException ie) {
                return;
            }
            if (e == null) {
                continue;
            }
            try {
                handle(e);
            } catch (VirtException | SdkException ex) {
                if (!closed) {
                    LOG.log(Level.WARNING, "vz: could not apply SDK event " + e + ": " + ex.getMessage());
                }
            } catch (RuntimeException ex) {
                LOG.log(Level.ERROR, "vz: SDK event " + e + " failed", ex);
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    private void handle(SdkEvent e) {
        DomainObj dom = cache.list().findByUuid(e.uuid());
        switch (e) {
            case SdkEvent.StatsUpdated s -> {
                if (dom != null) {
                    try (var l = dom.locked()) {
                        if (dom.privateData() != null) {
                            VzCache.priv(dom).stats = s.stats();
                        }
                    }
                }
            }
            case SdkEvent.VmRemoved r -> {
                VmInfo info = read(e);
                if (dom == null) {
                    return;
                }
                try (var l = dom.locked()) {
                    if (info == null) {
                        cache.forget(dom, null);
                    } else {
                        cache.apply(dom, info);
                    }
                }
            }
            case SdkEvent.VmAdded a -> refresh(dom, read(e));
            case SdkEvent.ConfigChanged c -> refresh(dom, read(e));
            case SdkEvent.StateChanged s -> {
                VmInfo info = read(e);
                if (info == null && dom != null) {
                    try (var l = dom.locked()) {
                        cache.stoppedAndGone(dom, s.state(), s.reason());
                    }
                    return;
                }
                refresh(dom, info);
            }
        }
    }

    private void refresh(DomainObj dom, VmInfo info) {
        if (info == null) {
            return; // gone already: its VM-removed event follows
        }
        if (dom == null) {
            cache.adopt(info);
            return;
        }
        try (var l = dom.locked()) {
            cache.apply(dom, info);
        }
    }

    /** The VM as the host has it now, or null when it is gone. */
    private VmInfo read(SdkEvent e) {
        try {
            return session.vmInfo(e.uuid()).await(sdkTimeout);
        } catch (SdkException ex) {
            if (ex.kind() == SdkException.Kind.NOT_FOUND) {
                return null;
            }
            throw SdkCalls.map(ex, null);
        }
    }

    /** How many events wait to be handled. */
    public int backlog() {
        return pending.get();
    }

    @Override
    public void close() {
        closed = true;
        try {
            subscription.close();
        } catch (Exception ignored) {
            // unsubscribing cannot fail
        }
        worker.interrupt();
        try {
            worker.join(Duration.ofSeconds(5));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    static VirtException closedError() {
        return new VirtException(ErrorCode.INVALID_CONN, "the vz connection is closed");
    }
}
