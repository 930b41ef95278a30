package io.jvirt.spi.internal;

import io.jvirt.api.Capabilities;
import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Events;
import io.jvirt.api.ListFilter;
import io.jvirt.api.Version;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.HypervisorDriver;
import io.jvirt.spi.event.EventDispatcher;

import java.lang.System.Logger.Level;
import java.lang.ref.Cleaner;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The generic {@link Connection}: turns public calls into {@link HypervisorDriver} calls. Domain
 * handles are {@link SpiDomain}s that name their domain by UUID. After {@link #close()} every call
 * fails with {@code INVALID_CONN}.
 */
public final class SpiConnection implements Connection {
    private static final System.Logger LOG = System.getLogger(SpiConnection.class.getName());

    private static final Cleaner CLEANER = Cleaner.create();

    private final HypervisorDriver driver;
    private final EventDispatcher dispatcher;
    private final AtomicBoolean closed;
    private final Cleaner.Cleanable cleanable;

    SpiConnection(HypervisorDriver driver, EventDispatcher dispatcher) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.closed = new AtomicBoolean();
        this.cleanable = CLEANER.register(this, new Release(driver, dispatcher, closed, true));
    }

    /**
     * Closes the driver and the dispatcher once: on {@link #close()}, or when the application
     * dropped the connection without closing it (then it logs a warning, as a leak).
     */
    private record Release(HypervisorDriver driver, EventDispatcher dispatcher, AtomicBoolean closed, boolean leak)
            implements Runnable {
        @Override
        public void run() {
            if (!closed.compareAndSet(false, true)) {
                return;
            }
            if (leak) {
                LOG.log(Level.WARNING, "connection to '" + driver.uri() + "' was never closed; closing it now");
            }
            try {
                driver.close();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "driver '" + driver.name() + "' failed to close: " + e, e);
            }
            dispatcher.close();
        }
    }

    /** The driver, after checking that the connection is open. */
    HypervisorDriver driver() {
        if (closed.get()) {
            throw new VirtException(ErrorCode.INVALID_CONN, "invalid connection: the connection to '" + driver.uri()
                    + "' is closed");
        }
        return driver;
    }

    /** The open dispatcher (for tests and diagnostics). */
    public EventDispatcher dispatcher() {
        return dispatcher;
    }

    /** A handle on {@code obj}. */
    Domain handle(DomainObj obj) {
        return new SpiDomain(this, obj.uuid(), obj.name());
    }

    @Override
    public String uri() {
        return driver().uri();
    }

    @Override
    public String driverName() {
        return driver().name();
    }

    @Override
    public Version version() {
        return driver().hypervisorVersion();
    }

    @Override
    public List<Domain> listDomains(ListFilter... filters) {
        for (ListFilter f : filters) {
            Objects.requireNonNull(f, "filter");
        }
        HypervisorDriver d = driver();
        // read each domain once under its lock, then filter and sort the consistent snapshot:
        // running domains by id, then inactive ones by name, as virsh lists them
        return d.domains().list(o -> true).stream()
                .map(Row::of)
                .filter(r -> r.matches(filters))
                .sorted(Comparator.comparing((Row r) -> r.id < 0).thenComparingInt(r -> r.id)
                        .thenComparing(r -> r.name))
                .map(r -> (Domain) new SpiDomain(this, r.uuid, r.name))
                .toList();
    }

    /** One domain's list-relevant fields, read together under its lock. */
    private record Row(UUID uuid, String name, int id, boolean active, boolean persistent, boolean autostart) {
        static Row of(DomainObj o) {
            try (var l = o.locked()) {
                return new Row(o.uuid(), o.name(), o.id(), o.isActive(), o.isPersistent(), o.isAutostart());
            }
        }

        boolean matches(ListFilter[] filters) {
            for (ListFilter f : filters) {
                boolean ok = switch (f) {
                    case ACTIVE -> active;
                    case INACTIVE -> !active;
                    case PERSISTENT -> persistent;
                    case TRANSIENT -> !persistent;
                    case AUTOSTART -> autostart;
                    case NO_AUTOSTART -> !autostart;
                };
                if (!ok) {
                    return false;
                }
            }
            return true;
        }
    }

    @Override
    public Domain lookupDomainByName(String name) {
        Objects.requireNonNull(name, "name");
        return handle(driver().domains().byName(name));
    }

    @Override
    public Domain lookupDomainByUuid(UUID uuid) {
        Objects.requireNonNull(uuid, "uuid");
        return handle(driver().domains().byUuid(uuid));
    }

    @Override
    public Domain lookupDomainById(int id) {
        return handle(driver().domains().byId(id));
    }

    @Override
    public Domain defineDomain(String xml) {
        HypervisorDriver d = driver();
        return handle(d.define(parse(xml)));
    }

    @Override
    public Domain createDomain(String xml) {
        HypervisorDriver d = driver();
        return handle(d.create(parse(xml)));
    }

    private static DomainDef parse(String xml) {
        if (xml == null || xml.isBlank()) {
            throw new VirtException(ErrorCode.XML_ERROR, "domain XML is empty");
        }
        return DomainXml.parse(xml);
    }

    @Override
    public Domain restoreDomain(Path file) {
        Objects.requireNonNull(file, "file");
        return handle(driver().restore(file));
    }

    @Override
    public Capabilities capabilities() {
        return driver().capabilities();
    }

    @Override
    public Events events() {
        driver();
        return dispatcher;
    }

    @Override
    public boolean isAlive() {
        return !closed.get();
    }

    @Override
    public void close() {
        new Release(driver, dispatcher, closed, false).run();
        cleanable.clean();
    }

    @Override
    public <T> T unwrap(Class<T> type) {
        Objects.requireNonNull(type, "type");
        if (type.isInstance(this)) {
            return type.cast(this);
        }
        T extra = driver().unwrap(type);
        if (extra == null) {
            throw new VirtException(ErrorCode.NO_SUPPORT, "driver '" + driver.name() + "' has no extra of type "
                    + type.getName());
        }
        return extra;
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return type.isInstance(this) || driver().unwrap(type) != null;
    }

    @Override
    public String toString() {
        return "Connection[" + driver.uri() + (closed.get() ? ", closed" : "") + "]";
    }
}
