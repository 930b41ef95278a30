package io.jvirt.driver.qemu;

import com.google.inject.Inject;
import io.jvirt.api.Capabilities;
import io.jvirt.api.DomainEvent;
import io.jvirt.api.DomainEvent.Lifecycle;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Feature;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.api.xml.DomainXml;
import io.jvirt.driver.qemu.agent.DomainAgent;
import io.jvirt.driver.qemu.caps.CapsCache;
import io.jvirt.driver.qemu.caps.HostCapabilities;
import io.jvirt.driver.qemu.caps.KvmStatus;
import io.jvirt.driver.qemu.caps.QemuCaps;
import io.jvirt.driver.qemu.internal.AtomicFiles;
import io.jvirt.driver.qemu.lock.QemuLocks;
import io.jvirt.driver.qemu.guest.GuestOps;
import io.jvirt.driver.qemu.process.LifecycleOps;
import io.jvirt.driver.qemu.save.SaveOps;
import io.jvirt.driver.qemu.security.QemuSecurity;
import io.jvirt.spi.lock.ConfFile;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.DomainObjList;
import io.jvirt.spi.event.EventSink;
import io.jvirt.spi.job.Job;
import io.jvirt.spi.job.JobKind;
import io.jvirt.spi.process.Spawner;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One QEMU "host": the domains of one set of directories (one URI), shared by every connection
 * to that URI in this JVM. Holds the domain list, persistent definitions and the lifecycle code;
 * connections ({@link QemuDriver}) are thin views that add their event sink.
 */
public final class QemuHost implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(QemuHost.class.getName());
    /** The features this driver implements; every other one answers {@code NO_SUPPORT}. */
    public static final Set<Feature> FEATURES = EnumSet.of(Feature.PERSISTENT, Feature.SUSPEND, Feature.SHUTDOWN,
            Feature.AUTOSTART, Feature.AGENT, Feature.SET_USER_PASSWORD, Feature.JOBS, Feature.SAVE);

    private final QemuConfig config;
    private final CapsCache caps;
    private final Spawner spawner;
    private final KvmStatus kvm;
    private final DomainObjList domains = new DomainObjList();
    private final CopyOnWriteArrayList<EventSink> sinks = new CopyOnWriteArrayList<>();
    private final LifecycleOps lifecycle;
    private final QemuLocks locks;
    private final QemuSecurity security;
    private final boolean imageLocking;
    private final GuestOps guest;
    private final SaveOps save = new SaveOps(this);
    private final Autostart autostart = new Autostart(this);
    private boolean autostartBegun;

    @Inject
    QemuHost(QemuConfig config, CapsCache caps, Spawner spawner, KvmStatus kvm) {
        this.config = config;
        this.caps = caps;
        this.spawner = spawner;
        this.kvm = kvm;
        this.lifecycle = new LifecycleOps(this);
        this.guest = new GuestOps(this);
        try {
            for (Path d : new Path[]{config.paths().configDir(), config.paths().runDir(), config.paths().logDir(),
                    config.paths().cacheDir()}) {
                Files.createDirectories(d);
            }
        } catch (IOException e) {
            throw new VirtException(ErrorCode.NO_CONNECT, "cannot create the QEMU driver's directories: " + e.getMessage(), e);
        }
        // qemu.conf lives beside the definitions directory (for an embed root: ROOT/qemu.conf)
        Path confDir = config.paths().configDir().getParent();
        ConfFile qemuConf = ConfFile.read(confDir.resolve("qemu.conf"));
        this.imageLocking = qemuConf.getBoolean("image_locking", true);
        this.security = QemuSecurity.open(qemuConf, config.paths().configDir().resolve("dac"));
        this.locks = QemuLocks.open(confDir, qemuConf, config.uri());
        loadDefinitions();
        lifecycle.reconnectAll();
    }

    public QemuConfig config() {
        return config;
    }

    public DomainObjList domains() {
        return domains;
    }

    public Spawner spawner() {
        return spawner;
    }

    public KvmStatus kvm() {
        return kvm;
    }

    public LifecycleOps lifecycle() {
        return lifecycle;
    }

    /** The lock manager ({@code lock_manager} in {@code qemu.conf}; {@code nop} by default). */
    public QemuLocks locks() {
        return locks;
    }

    /** The DAC security driver ({@code user}/{@code group} in {@code qemu.conf}). */
    public QemuSecurity security() {
        return security;
    }

    /** Whether QEMU takes its own image locks ({@code image_locking} in {@code qemu.conf}, default 1). */
    public boolean imageLocking() {
        return imageLocking;
    }

    /** Save and restore (the SAVE and RESTORE async jobs). */
    public SaveOps save() {
        return save;
    }

    /** The probed capabilities of {@code binary} (cached on disk). */
    public QemuCaps caps(String binary) {
        return caps.get(Path.of(binary));
    }

    /** The public capabilities. */
    public Capabilities capabilities() {
        return HostCapabilities.build(caps(config.command().defaultEmulator()), kvm, FEATURES);
    }

    void addSink(EventSink sink) {
        sinks.add(sink);
    }

    void removeSink(EventSink sink) {
        sinks.remove(sink);
    }

    /** Emits a lifecycle event to every connection. Never blocks. */
    public void emit(DomainObj d, Lifecycle kind, String detail) {
        DomainEvent ev = new DomainEvent.LifecycleEvent(d.name(), d.uuid(), Instant.now(), kind, detail);
        for (EventSink s : sinks) {
            s.emit(ev);
        }
    }

    /** Emits any domain event to every connection. Never blocks. */
    public void emitEvent(DomainEvent ev) {
        for (EventSink s : sinks) {
            s.emit(ev);
        }
    }

    /**
     * The guest-agent holder of a domain starting or re-attached with {@code liveDef}, whose
     * agent channel listens on {@code socket} (null: no agent). Its connect/disconnect become
     * agent-lifecycle events.
     */
    public DomainAgent agentFor(DomainObj d, DomainDef liveDef, Path socket) {
        return DomainAgent.of(liveDef, socket, (connected, reason) -> {
            LOG.log(System.Logger.Level.DEBUG, "domain ''{0}'': guest agent {1} ({2})", d.name(),
                    connected ? "connected" : "disconnected", reason);
            emitEvent(new DomainEvent.AgentLifecycleEvent(d.name(), d.uuid(), Instant.now(), connected));
        });
    }

    /** The guest-agent operations. */
    public GuestOps guest() {
        return guest;
    }

    /** Applies the job settings to a domain object. */
    public void configure(DomainObj d) {
        d.jobs().setConfig(config.jobs());
    }

    // ---- definitions ----

    private void loadDefinitions() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(config.paths().configDir(), "*.xml")) {
            for (Path f : ds) {
                try {
                    DomainDef def = DomainXml.parse(Files.readString(f));
                    DomainObj d = domains.addOrGet(def, true).domain();
                    configure(d);
                    try (var l = d.locked()) {
                        d.setAutostart(Files.exists(config.paths().autostart(def.name())));
                    }
                } catch (IOException | RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "ignoring unreadable definition " + f + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new VirtException(ErrorCode.NO_CONNECT, "cannot read definitions in " + config.paths().configDir()
                    + ": " + e.getMessage(), e);
        }
    }

    /** Checks that this driver can run {@code def} at all (type, emulator). */
    public static DomainDef checkType(DomainDef def) {
        if (!def.type().equals("qemu") && !def.type().equals("kvm")) {
            throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: domain type '"
                    + def.type() + "' is not supported by the QEMU driver (use <domain type='qemu'> or 'kvm')");
        }
        return def;
    }

    /** Writes the persistent definition atomically. */
    public void saveDefinition(DomainDef def) {
        try {
            AtomicFiles.writeString(config.paths().definition(def.name()), DomainXml.format(def));
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot save the definition of '" + def.name() + "': "
                    + e.getMessage(), e);
        }
    }

    private void deleteDefinition(String name) {
        try {
            Files.deleteIfExists(config.paths().definition(name));
            Files.deleteIfExists(config.paths().autostart(name));
        } catch (IOException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot remove the definition of '" + name + "': "
                    + e.getMessage(), e);
        }
    }

    DomainObj define(DomainDef def) {
        checkType(def);
        while (true) {
            DomainObjList.AddResult added = domains.addOrGet(def, true);
            DomainObj d = added.domain();
            configure(d);
            try (var l = d.locked(); Job job = d.jobs().begin(JobKind.MODIFY, "define")) {
                boolean update = !added.added() && d.isPersistent();
                saveDefinition(def);
                if (d.isActive()) {
                    d.setPersistentDef(def);
                } else {
                    d.setDef(def);
                }
                d.setPersistent(true);
                emit(d, Lifecycle.DEFINED, update ? "Updated" : "Added");
                return d;
            } catch (VirtException e) {
                if (added.added() && !d.isRemoved()) {
                    try (var l = d.locked()) {
                        if (!d.isActive() && !Files.exists(config.paths().definition(def.name()))) {
                            domains.remove(d);
                        }
                    }
                }
                if (!(e.code() == ErrorCode.NO_DOMAIN && d.isRemoved())) {
                    throw e;
                }
            }
        }
    }

    void undefine(DomainObj dom) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.MODIFY, "undefine")) {
            if (!dom.isPersistent()) {
                throw VirtException.invalid("cannot undefine transient domain '" + dom.name() + "'");
            }
            deleteDefinition(dom.name());
            dom.setAutostart(false);
            dom.setPersistent(false);
            if (dom.isActive()) {
                dom.setPersistentDef(null);
            } else {
                domains.remove(dom);
            }
            emit(dom, Lifecycle.UNDEFINED, "Removed");
        }
    }

    void setAutostart(DomainObj dom, boolean on) {
        try (var l = dom.locked(); Job job = dom.jobs().begin(JobKind.MODIFY, "setAutostart")) {
            if (!dom.isPersistent()) {
                throw VirtException.invalid("cannot set autostart for transient domain '" + dom.name() + "'");
            }
            Path marker = config.paths().autostart(dom.name());
            try {
                if (on) {
                    AtomicFiles.writeString(marker, dom.name() + "\n");
                } else {
                    Files.deleteIfExists(marker);
                }
            } catch (IOException e) {
                throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot change autostart of '" + dom.name() + "': "
                        + e.getMessage(), e);
            }
            dom.setAutostart(on);
        }
    }

    /**
     * The next running id: a counter in {@code RUN/ids} under a file lock, so that ids stay
     * unique across driver instances (every jvirsh call is a new JVM).
     */
    public int nextId() {
        Path file = config.paths().runDir().resolve("ids");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE); FileLock lock = ch.lock()) {
            ByteBuffer buf = ByteBuffer.allocate(32);
            ch.read(buf, 0);
            String text = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII).strip();
            int last = text.isEmpty() ? 0 : Integer.parseInt(text);
            int next = last + 1;
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((next + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            ch.force(true);
            return next;
        } catch (IOException | NumberFormatException e) {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot allocate a domain id in " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Starts the autostart domains when this is the first opener since the host came up (see
     * {@link Autostart}); later calls do nothing. Called by the provider once the first
     * connection exists, so that it sees the {@code Started} events.
     */
    synchronized void beginAutostart() {
        if (!autostartBegun) {
            autostartBegun = true;
            autostart.begin();
        }
    }

    /**
     * Waits (up to {@code perDomain} for each domain still to start) until the autostart pass of
     * this host instance has ended: {@code claimed=false} when another opener had already made
     * {@code RUN/autostarted}, else the domains started and those that failed.
     *
     * @return the result, or empty when the wait ran out
     */
    public Optional<Autostart.Result> awaitAutostart(Duration perDomain) {
        return Optional.ofNullable(autostart.await(perDomain));
    }

    /**
     * Closes the monitors; running QEMUs keep running and a later instance reconnects. An
     * autostart pass still running is waited for first (each start is bounded by the job
     * timeouts): a short-lived opener such as one {@code jvirsh} call must not cut it off, since
     * the marker says it has been done.
     */
    @Override
    public void close() {
        boolean begun;
        synchronized (this) {
            begun = autostartBegun;
        }
        if (begun && !autostart.isDone()) {
            autostart.await(config.jobs().monitorTimeout().multipliedBy(4));
        }
        lifecycle.detachAll();
        locks.close();
    }
}
