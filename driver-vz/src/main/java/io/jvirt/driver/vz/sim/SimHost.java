package io.jvirt.driver.vz.sim;

import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.vz.sdk.SdkEvent;
import io.jvirt.driver.vz.sdk.SdkException;
import io.jvirt.driver.vz.sdk.SdkException.Kind;
import io.jvirt.driver.vz.sdk.SdkJob;
import io.jvirt.driver.vz.sdk.SnapshotInfo;
import io.jvirt.driver.vz.sdk.VmInfo;
import io.jvirt.driver.vz.sdk.VmState;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One emulated Virtuozzo host: its VMs, snapshots, event thread and (optionally) its disk.
 * Effects of operations run under this object's monitor; events are queued and delivered on the
 * host's own event thread, never on a caller's.
 */
final class SimHost {
    private static final System.Logger LOG = System.getLogger(SimHost.class.getName());
    private static final AtomicInteger SERIALS = new AtomicInteger();

    final String address;
    final int serial = SERIALS.incrementAndGet();
    final SimFaults faults = new SimFaults();
    final AtomicInteger violations = new AtomicInteger();
    final AtomicInteger running = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicLong versions = new java.util.concurrent.atomic.AtomicLong(System.currentTimeMillis() * 1000);
    private final SimStore store;
    private final Map<UUID, SimVm> vms = new LinkedHashMap<>();
    private final List<Consumer<SdkEvent>> listeners = new CopyOnWriteArrayList<>();
    private final LinkedBlockingQueue<SdkEvent> queue = new LinkedBlockingQueue<>();
    private final Thread eventThread;
    private final long statsPeriodNanos;
    private volatile boolean closed;
    private int nextRunId = 1;

    SimHost(String address, SimStore store, Duration statsPeriod) {
        this.address = address;
        this.store = store;
        this.statsPeriodNanos = statsPeriod.toNanos();
        if (store != null) {
            for (SimVm vm : store.load()) {
                vms.put(vm.uuid, vm);
                nextRunId = Math.max(nextRunId, vm.runId + 1);
            }
        }
        eventThread = Thread.ofPlatform().daemon().name("vz-sim-events " + address).start(this::eventLoop);
    }

    // ---- events ----

    AutoCloseable subscribe(Consumer<SdkEvent> listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    private void emit(SdkEvent event) {
        queue.add(event);
    }

    private void eventLoop() {
        long nextStats = System.nanoTime() + statsPeriodNanos;
        while (!closed) {
            try {
                long wait = Math.max(1, nextStats - System.nanoTime());
                SdkEvent e = queue.poll(wait, TimeUnit.NANOSECONDS);
                if (e != null) {
                    deliver(e);
                }
                if (System.nanoTime() >= nextStats) {
                    nextStats = System.nanoTime() + statsPeriodNanos;
                    List<SdkEvent> stats = new ArrayList<>();
                    synchronized (this) {
                        for (SimVm vm : vms.values()) {
                            if (vm.state.isActive()) {
                                stats.add(new SdkEvent.StatsUpdated(vm.uuid, vm.stats()));
                            }
                        }
                    }
                    stats.forEach(this::deliver);
                }
            } catch (InterruptedException ie) {
                return;
            }
        }
    }

    private void deliver(SdkEvent e) {
        for (Consumer<SdkEvent> l : listeners) {
            try {
                l.accept(e);
            } catch (RuntimeException ex) {
                LOG.log(Level.WARNING, "emulator: event listener failed on " + e, ex);
            }
        }
    }

    void close() {
        closed = true;
        eventThread.interrupt();
        try {
            eventThread.join(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---- jobs ----

    /** Starts a job for {@code op} whose effect runs under the host's monitor. */
    <T> SdkJob<T> job(String op, long total, Supplier<T> effect, Runnable onEnd) {
        return unlockedJob(op, total, () -> {
            synchronized (this) {
                return effect.get();
            }
        }, onEnd);
    }

    /** A job whose effect takes the monitors it needs itself (migration locks two hosts in order). */
    <T> SdkJob<T> unlockedJob(String op, long total, Supplier<T> effect, Runnable onEnd) {
        if (closed) {
            throw new SdkException(Kind.DISCONNECTED, "emulated host " + address + " is closed");
        }
        running.incrementAndGet();
        return SimJob.start(op, faults.plan(op), total, effect, () -> {
            running.decrementAndGet();
            onEnd.run();
        });
    }

    <T> SdkJob<T> job(String op, Supplier<T> effect) {
        return job(op, 0, effect, () -> { });
    }

    /** A job acting on one VM (looked up when the effect runs). */
    <T> SdkJob<T> vmJob(String op, UUID uuid, long total, Function<SimVm, T> effect, Runnable onEnd) {
        return job(op, total, () -> effect.apply(vm(uuid)), onEnd);
    }

    private SimVm vm(UUID uuid) {
        SimVm vm = vms.get(uuid);
        if (vm == null) {
            throw new SdkException(Kind.NOT_FOUND, "no VM with uuid " + uuid + " on " + address);
        }
        return vm;
    }

    synchronized long memoryBytes(UUID uuid) {
        SimVm vm = vms.get(uuid);
        return vm == null ? 0 : vm.config.currentMemoryKiB() * 1024;
    }

    // ---- effects (called under the monitor) ----

    List<VmInfo> list() {
        return vms.values().stream().map(SimVm::info).toList();
    }

    VmInfo info(UUID uuid) {
        return vm(uuid).info();
    }

    VmInfo register(DomainDef config, boolean transientVm) {
        if (vms.containsKey(config.uuid())) {
            throw new SdkException(Kind.EXISTS, "a VM with uuid " + config.uuid() + " already exists");
        }
        for (SimVm other : vms.values()) {
            if (other.config.name().equals(config.name())) {
                throw new SdkException(Kind.EXISTS, "a VM named '" + config.name() + "' already exists");
            }
        }
        SimVm vm = new SimVm(config);
        vm.transientVm = transientVm;
        vms.put(vm.uuid, vm);
        persist(vm);
        emit(new SdkEvent.VmAdded(vm.uuid));
        return vm.info();
    }

    /** A hot change (device, memory): the running configuration changes with the stored one. */
    void changeLive(SimVm vm, java.util.function.UnaryOperator<DomainDef> change) {
        DomainDef next = change.apply(vm.config);
        if (vm.state.isActive() && vm.live != null) {
            DomainDef liveNext = change.apply(vm.live);
            changeConfig(vm, next);
            vm.live = liveNext;
        } else {
            changeConfig(vm, next);
        }
    }

    void changeConfig(SimVm vm, DomainDef config) {
        if (!config.name().equals(vm.config.name())) {
            for (SimVm other : vms.values()) {
                if (other != vm && other.config.name().equals(config.name())) {
                    throw new SdkException(Kind.EXISTS, "a VM named '" + config.name() + "' already exists");
                }
            }
        }
        vm.config = config;
        vm.reindexNets();
        persist(vm);
        emit(new SdkEvent.ConfigChanged(vm.uuid));
    }

    void changeState(SimVm vm, VmState state, String reason) {
        vm.setState(state, reason, nextRunId);
        if (vm.runId == nextRunId) {
            nextRunId++;
        }
        persist(vm);
        emit(new SdkEvent.StateChanged(vm.uuid, state, reason));
        if (!state.isActive() && vm.transientVm && !vm.managedSave) {
            remove(vm);
        }
    }

    void remove(SimVm vm) {
        vms.remove(vm.uuid);
        if (store != null) {
            store.delete(vm.uuid);
        }
        emit(new SdkEvent.VmRemoved(vm.uuid));
    }

    /** Records a change of {@code vm}: a new version, and the file when the host has a disk. */
    void persist(SimVm vm) {
        vm.version = versions.incrementAndGet();
        if (store != null) {
            store.save(vm);
        }
    }

    void requireActive(SimVm vm, String op) {
        if (!vm.state.isActive()) {
            throw new SdkException(Kind.INVALID_STATE, op + ": VM '" + vm.config.name() + "' is not running");
        }
    }

    void requireState(SimVm vm, VmState want, String op) {
        if (vm.state != want) {
            throw new SdkException(Kind.INVALID_STATE, op + ": VM '" + vm.config.name() + "' is "
                    + vm.state.name().toLowerCase(java.util.Locale.ROOT) + ", not " + want.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    List<Device> withDevice(SimVm vm, Device device) {
        List<Device> devices = new ArrayList<>(vm.config.devices());
        if (device instanceof Device.Disk disk) {
            for (Device.Disk d : vm.config.disks()) {
                if (d.targetDev().equals(disk.targetDev())) {
                    throw new SdkException(Kind.EXISTS, "VM '" + vm.config.name() + "' already has a disk " + disk.targetDev());
                }
            }
        }
        if (device instanceof Device.Interface nic && nic.mac() != null) {
            for (Device.Interface n : vm.config.devices(Device.Interface.class)) {
                if (nic.mac().equalsIgnoreCase(n.mac())) {
                    throw new SdkException(Kind.EXISTS, "VM '" + vm.config.name() + "' already has an adapter " + nic.mac());
                }
            }
        }
        devices.add(device);
        return devices;
    }

    List<Device> withoutDevice(SimVm vm, Device device) {
        List<Device> devices = new ArrayList<>(vm.config.devices());
        for (int i = 0; i < devices.size(); i++) {
            if (sameDevice(devices.get(i), device)) {
                devices.remove(i);
                return devices;
            }
        }
        throw new SdkException(Kind.NO_DEVICE, "VM '" + vm.config.name() + "' has no such device: " + describe(device));
    }

    static boolean sameDevice(Device a, Device b) {
        if (a instanceof Device.Disk x && b instanceof Device.Disk y) {
            return x.targetDev().equals(y.targetDev());
        }
        if (a instanceof Device.Interface x && b instanceof Device.Interface y) {
            return y.mac() == null ? java.util.Objects.equals(x.source(), y.source()) : y.mac().equalsIgnoreCase(x.mac());
        }
        return a.getClass() == b.getClass() && a.equals(b);
    }

    static String describe(Device d) {
        if (d instanceof Device.Disk disk) {
            return "disk " + disk.targetDev();
        }
        if (d instanceof Device.Interface nic) {
            return "interface " + nic.mac();
        }
        return d.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
    }

    SnapshotInfo snapshot(SimVm vm, String name, String description) {
        if (vm.snapshots.containsKey(name)) {
            throw new SdkException(Kind.EXISTS, "VM '" + vm.config.name() + "' already has a snapshot '" + name + "'");
        }
        SnapshotInfo s = new SnapshotInfo(name, vm.currentSnapshot, description == null ? "" : description,
                Instant.now(), vm.state, vm.config, true);
        vm.snapshots.put(name, s);
        vm.currentSnapshot = name;
        persist(vm);
        return s;
    }

    void revert(SimVm vm, String name) {
        SnapshotInfo s = snapshotOf(vm, name);
        vm.config = s.config();
        vm.reindexNets();
        vm.currentSnapshot = name;
        if (vm.state.isActive()) {
            vm.live = s.config();
        }
        VmState target = s.vmState() == VmState.SUSPENDED ? VmState.STOPPED : s.vmState();
        emit(new SdkEvent.ConfigChanged(vm.uuid));
        if (target != vm.state) {
            changeState(vm, target, target.isActive() ? "from snapshot" : "from snapshot");
        } else {
            persist(vm);
        }
    }

    void deleteSnapshot(SimVm vm, String name) {
        SnapshotInfo s = snapshotOf(vm, name);
        vm.snapshots.remove(name);
        for (Map.Entry<String, SnapshotInfo> e : vm.snapshots.entrySet()) {
            SnapshotInfo c = e.getValue();
            if (name.equals(c.parent())) {
                e.setValue(new SnapshotInfo(c.name(), s.parent(), c.description(), c.created(), c.vmState(), c.config(), false));
            }
        }
        if (name.equals(vm.currentSnapshot)) {
            vm.currentSnapshot = s.parent();
        }
        persist(vm);
    }

    private static SnapshotInfo snapshotOf(SimVm vm, String name) {
        SnapshotInfo s = vm.snapshots.get(name);
        if (s == null) {
            throw new SdkException(Kind.NO_SNAPSHOT, "VM '" + vm.config.name() + "' has no snapshot '" + name + "'");
        }
        return s;
    }

    /** Moves {@code uuid} from this host to {@code target}, locking both hosts in serial order. */
    void migrateTo(UUID uuid, SimHost target, String newName) {
        if (target == this) {
            throw new SdkException(Kind.FAILED, "migration target " + address + " is the source host");
        }
        SimHost first = serial < target.serial ? this : target;
        SimHost second = first == this ? target : this;
        synchronized (first) {
            synchronized (second) {
                SimVm vm = vm(uuid);
                requireActive(vm, "migrate");
                if (target.vms.containsKey(uuid)) {
                    throw new SdkException(Kind.EXISTS, "target host " + target.address + " already has VM " + uuid);
                }
                String name = newName == null ? vm.config.name() : newName;
                for (SimVm other : target.vms.values()) {
                    if (other.config.name().equals(name)) {
                        throw new SdkException(Kind.EXISTS, "target host " + target.address + " already has a VM named '" + name + "'");
                    }
                }
                remove(vm);
                SimVm moved = new SimVm(newName == null ? vm.config : vm.config.withName(newName));
                moved.netIndex.clear();
                moved.netIndex.putAll(vm.netIndex);
                moved.nextNetIndex = vm.nextNetIndex;
                moved.autostart = vm.autostart;
                moved.transientVm = vm.transientVm;
                moved.snapshots.putAll(vm.snapshots);
                moved.currentSnapshot = vm.currentSnapshot;
                moved.setState(vm.state, "migrated", target.nextRunId++);
                moved.live = vm.live == null ? null : (newName == null ? vm.live : vm.live.withName(newName));
                target.vms.put(uuid, moved);
                target.persist(moved);
                target.emit(new SdkEvent.VmAdded(uuid));
            }
        }
    }

    // ---- changes "by another tool" ----

    synchronized UUID externalDefine(DomainDef config) {
        return register(config, false).uuid();
    }

    synchronized void externalChange(UUID uuid, java.util.function.UnaryOperator<DomainDef> change) {
        SimVm vm = vm(uuid);
        DomainDef next = change.apply(vm.config);
        if (!next.uuid().equals(uuid)) {
            throw new SdkException(Kind.FAILED, "a configuration change may not change the uuid");
        }
        changeConfig(vm, next);
    }

    synchronized void externalSetState(UUID uuid, VmState state, String reason) {
        changeState(vm(uuid), state, reason);
    }

    synchronized void externalRemove(UUID uuid) {
        remove(vm(uuid));
    }
}
