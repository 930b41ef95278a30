package io.jvirt.driver.vz.sim;

import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.vz.sdk.SdkException;
import io.jvirt.driver.vz.sdk.SdkException.Kind;
import io.jvirt.driver.vz.sdk.SdkJob;
import io.jvirt.driver.vz.sdk.SnapshotInfo;
import io.jvirt.driver.vz.sdk.VmHandle;
import io.jvirt.driver.vz.sdk.VmInfo;
import io.jvirt.driver.vz.sdk.VmState;

import java.lang.System.Logger.Level;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The emulator's shared per-VM handle. It checks the SDK's rule that threads use it exclusively:
 * starting an operation while another one on the same handle is still running is counted as a
 * violation ({@link SimControl#handleViolations()}) and refused.
 */
final class SimVmHandle implements VmHandle {
    private static final System.Logger LOG = System.getLogger(SimVmHandle.class.getName());

    private final SimHost host;
    private final UUID uuid;
    private final AtomicReference<String> busy = new AtomicReference<>();

    SimVmHandle(SimHost host, UUID uuid) {
        this.host = host;
        this.uuid = uuid;
    }

    @Override
    public UUID uuid() {
        return uuid;
    }

    private <T> SdkJob<T> op(String op, Function<SimVm, T> effect) {
        return op(op, 0, effect);
    }

    private <T> SdkJob<T> op(String op, long total, Function<SimVm, T> effect) {
        enter(op);
        try {
            return host.vmJob(op, uuid, total, effect, () -> busy.set(null));
        } catch (RuntimeException e) {
            busy.set(null);
            throw e;
        }
    }

    private void enter(String op) {
        if (!busy.compareAndSet(null, op)) {
            host.violations.incrementAndGet();
            String holder = busy.get();
            LOG.log(Level.WARNING, "emulator: handle of VM " + uuid + " used for '" + op + "' while '" + holder
                    + "' still runs on it (" + Thread.currentThread() + ")");
            throw new SdkException(Kind.FAILED, "the handle of VM " + uuid + " is in use by '" + holder
                    + "': threads must use a VM handle exclusively");
        }
    }

    @Override
    public SdkJob<VmInfo> refresh() {
        return op("info", SimVm::info);
    }

    @Override
    public SdkJob<Void> beginEdit() {
        return op("edit", vm -> {
            vm.editOpen = true;
            return null;
        });
    }

    @Override
    public SdkJob<Void> commit(DomainDef config) {
        return op("commit", vm -> {
            if (!vm.editOpen) {
                throw new SdkException(Kind.INVALID_STATE, "commit without begin-edit on VM '" + vm.config.name() + "'");
            }
            if (!config.uuid().equals(uuid)) {
                throw new SdkException(Kind.FAILED, "a configuration commit may not change the uuid");
            }
            vm.editOpen = false;
            host.changeConfig(vm, config);
            return null;
        });
    }

    private SdkJob<Void> transition(String op, VmState from, VmState to, String reason) {
        return op(op, vm -> {
            if (from == null) {
                host.requireActive(vm, op);
            } else {
                host.requireState(vm, from, op);
            }
            host.changeState(vm, to, reason);
            return null;
        });
    }

    @Override
    public SdkJob<Void> start() {
        return op("start", vm -> {
            if (vm.state.isActive()) {
                throw new SdkException(Kind.INVALID_STATE, "start: VM '" + vm.config.name() + "' is already running");
            }
            boolean restored = vm.managedSave;
            vm.managedSave = false;
            host.changeState(vm, VmState.RUNNING, restored ? "restored" : "booted");
            return null;
        });
    }

    @Override
    public SdkJob<Void> stop(boolean kill) {
        return transition(kill ? "stop" : "shutdown", null, VmState.STOPPED, kill ? "destroyed" : "shutdown");
    }

    @Override
    public SdkJob<Void> pause() {
        return transition("pause", VmState.RUNNING, VmState.PAUSED, "user");
    }

    @Override
    public SdkJob<Void> resume() {
        return transition("resume", VmState.PAUSED, VmState.RUNNING, "unpaused");
    }

    @Override
    public SdkJob<Void> restart() {
        return transition("restart", VmState.RUNNING, VmState.RUNNING, "booted");
    }

    @Override
    public SdkJob<Void> reset() {
        return transition("reset", null, VmState.RUNNING, "booted");
    }

    @Override
    public SdkJob<Void> suspendToDisk() {
        long total = host.memoryBytes(uuid);
        return op("save", total, vm -> {
            host.requireActive(vm, "save");
            vm.managedSave = true;
            host.changeState(vm, VmState.SUSPENDED, "saved");
            return null;
        });
    }

    @Override
    public SdkJob<Void> attach(Device device) {
        return op("attach", vm -> {
            host.withDevice(vm, device); // refuses a clash
            host.changeLive(vm, c -> c.withDevices(withDevice(c, device)));
            return null;
        });
    }

    @Override
    public SdkJob<Void> detach(Device device) {
        return op("detach", vm -> {
            host.withoutDevice(vm, device);
            host.changeLive(vm, c -> c.withDevices(withoutDevice(c, device)));
            return null;
        });
    }

    @Override
    public SdkJob<Void> setMemory(long kib) {
        return op("memory", vm -> {
            if (kib <= 0 || kib > vm.config.memoryKiB()) {
                throw new SdkException(Kind.FAILED, "memory " + kib + " KiB is outside 1.." + vm.config.memoryKiB()
                        + " KiB of VM '" + vm.config.name() + "'");
            }
            host.changeLive(vm, c -> c.withCurrentMemoryKiB(Math.min(kib, c.memoryKiB())));
            return null;
        });
    }

    private static java.util.List<Device> withDevice(DomainDef c, Device device) {
        java.util.List<Device> list = new java.util.ArrayList<>(c.devices());
        list.add(device);
        return list;
    }

    private static java.util.List<Device> withoutDevice(DomainDef c, Device device) {
        java.util.List<Device> list = new java.util.ArrayList<>(c.devices());
        list.removeIf(x -> SimHost.sameDevice(x, device));
        return list;
    }

    @Override
    public SdkJob<Void> setUserPassword(String user, String password, boolean encrypted) {
        return op("password", vm -> {
            host.requireState(vm, VmState.RUNNING, "set user password");
            return null;
        });
    }

    @Override
    public SdkJob<SnapshotInfo> createSnapshot(String name, String description) {
        long total = host.memoryBytes(uuid);
        return op("snapshot", total, vm -> host.snapshot(vm, name, description));
    }

    @Override
    public SdkJob<Void> revertSnapshot(String name) {
        return op("revert", host.memoryBytes(uuid), vm -> {
            host.revert(vm, name);
            return null;
        });
    }

    @Override
    public SdkJob<Void> migrate(String targetAddress, boolean live, String newName) {
        enter("migrate");
        try {
            return host.unlockedJob("migrate", host.memoryBytes(uuid), () -> {
                SimHost target = SimHosts.byAddress(targetAddress);
                if (target == null) {
                    throw new SdkException(Kind.FAILED, "no emulated host at migration address '" + targetAddress + "'");
                }
                host.migrateTo(uuid, target, newName);
                return null;
            }, () -> busy.set(null));
        } catch (RuntimeException e) {
            busy.set(null);
            throw e;
        }
    }

    @Override
    public SdkJob<Void> unregister() {
        return op("unregister", vm -> {
            if (vm.state.isActive()) {
                throw new SdkException(Kind.INVALID_STATE, "unregister: VM '" + vm.config.name() + "' is running");
            }
            host.remove(vm);
            return null;
        });
    }

    @Override
    public SdkJob<Void> setTransient(boolean transientVm) {
        return op("transient", vm -> {
            vm.transientVm = transientVm;
            if (transientVm) {
                vm.autostart = false;
            }
            host.persist(vm);
            return null;
        });
    }

    @Override
    public SdkJob<Void> setAutostart(boolean autostart) {
        return op("autostart", vm -> {
            vm.autostart = autostart;
            host.persist(vm);
            return null;
        });
    }
}
