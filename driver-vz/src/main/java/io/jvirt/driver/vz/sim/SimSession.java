package io.jvirt.driver.vz.sim;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.vz.sdk.SdkEvent;
import io.jvirt.driver.vz.sdk.SdkException;
import io.jvirt.driver.vz.sdk.SdkJob;
import io.jvirt.driver.vz.sdk.SdkSession;
import io.jvirt.driver.vz.sdk.SnapshotInfo;
import io.jvirt.driver.vz.sdk.VmHandle;
import io.jvirt.driver.vz.sdk.VmInfo;
import io.jvirt.driver.vz.sdk.VmState;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A session with an emulated host: the {@link SdkSession} port over {@link SimHost}, and the
 * {@link SimControl} of that host.
 */
public final class SimSession implements SdkSession, SimControl {
    /** Emulator versions reported as the host's product version. */
    public static final String VERSION = "7.0.0";

    private final SimHost host;
    private final Map<UUID, SimVmHandle> handles = new ConcurrentHashMap<>();
    private final List<AutoCloseable> subscriptions = new ArrayList<>();
    private volatile boolean closed;

    private SimSession(SimHost host) {
        this.host = host;
    }

    /**
     * Logs in to an emulated host configured by URI query parameters: {@code host}, {@code root},
     * {@code statsPeriodMs}, {@code latency.OP}, {@code after.OP}, {@code latency.random=MIN-MAX},
     * {@code fail.OP=once|always|P}, {@code failAt.OP}, {@code hang.OP=once|always} (times in ms).
     *
     * @throws VirtException {@code INVALID_ARG} naming a parameter that is unknown or malformed
     */
    public static SimSession login(Map<String, String> params) {
        String name = params.get("host");
        String root = params.get("root");
        if (root != null && root.isBlank()) {
            throw new VirtException(ErrorCode.INVALID_ARG, "vz:///sim?root= needs a directory");
        }
        long statsMs = number(params, "statsPeriodMs", 1000);
        if (statsMs <= 0) {
            throw new VirtException(ErrorCode.INVALID_ARG, "statsPeriodMs must be > 0, was " + statsMs);
        }
        SimHost host = SimHosts.acquire(name, root == null ? null : Path.of(root), Duration.ofMillis(statsMs));
        SimSession s = new SimSession(host);
        try {
            s.configure(params);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private void configure(Map<String, String> params) {
        for (Map.Entry<String, String> e : params.entrySet()) {
            String k = e.getKey();
            String v = e.getValue();
            int dot = k.indexOf('.');
            String prefix = dot < 0 ? k : k.substring(0, dot);
            String op = dot < 0 ? "" : k.substring(dot + 1);
            switch (prefix) {
                case "host", "root", "statsPeriodMs" -> { }
                case "latency" -> {
                    if (op.equals("random")) {
                        String[] mm = v.split("-", 2);
                        if (mm.length != 2) {
                            throw new VirtException(ErrorCode.INVALID_ARG, "latency.random must be MIN-MAX in ms, was '" + v + "'");
                        }
                        setRandomLatency(Duration.ofMillis(parse(k, mm[0])), Duration.ofMillis(parse(k, mm[1])));
                    } else {
                        setLatency(op, Duration.ofMillis(parse(k, v)));
                    }
                }
                case "after" -> setCompletionDelay(op, Duration.ofMillis(parse(k, v)));
                case "fail" -> {
                    switch (v) {
                        case "once" -> failNext(op, "injected failure (" + k + ")");
                        case "always" -> failAlways(op, "injected failure (" + k + ")");
                        default -> {
                            try {
                                failRate(op, Double.parseDouble(v));
                            } catch (NumberFormatException nfe) {
                                throw new VirtException(ErrorCode.INVALID_ARG, k + " must be once, always or a probability, was '" + v + "'");
                            }
                        }
                    }
                }
                case "failAt" -> {
                    try {
                        failAt(op, Double.parseDouble(v));
                    } catch (NumberFormatException nfe) {
                        throw new VirtException(ErrorCode.INVALID_ARG, k + " must be a fraction in [0,1], was '" + v + "'");
                    }
                }
                case "hang" -> {
                    if (!v.equals("once") && !v.equals("always")) {
                        throw new VirtException(ErrorCode.INVALID_ARG, k + " must be once or always, was '" + v + "'");
                    }
                    host.faults.hang(SimFaults.checkOp(op), v.equals("always"));
                }
                default -> throw new VirtException(ErrorCode.INVALID_ARG, "unknown vz:///sim parameter '" + k
                        + "' (known: host, root, statsPeriodMs, latency.OP, latency.random, after.OP, fail.OP, failAt.OP, hang.OP)");
            }
        }
    }

    private static long number(Map<String, String> params, String key, long dflt) {
        String v = params.get(key);
        return v == null ? dflt : parse(key, v);
    }

    private static long parse(String key, String v) {
        try {
            long n = Long.parseLong(v.strip());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new VirtException(ErrorCode.INVALID_ARG, "vz:///sim parameter '" + key
                    + "' must be a non-negative number of milliseconds, was '" + v + "'");
        }
    }

    private void open() {
        if (closed) {
            throw new SdkException(SdkException.Kind.DISCONNECTED, "the emulator session is closed");
        }
    }

    // ---- SdkSession ----

    @Override
    public HostInfo hostInfo() {
        return new HostInfo("x86_64", Runtime.getRuntime().availableProcessors(), 16L * 1024 * 1024, VERSION, true,
                host.address);
    }

    @Override
    public SdkJob<List<VmInfo>> listVms() {
        open();
        return host.job("list", host::list);
    }

    @Override
    public SdkJob<VmInfo> vmInfo(UUID uuid) {
        open();
        return host.job("info", () -> host.info(uuid));
    }

    @Override
    public SdkJob<VmInfo> registerVm(DomainDef config, boolean transientVm) {
        open();
        return host.job("register", () -> host.register(config, transientVm));
    }

    @Override
    public VmHandle handle(UUID uuid) {
        open();
        return handles.computeIfAbsent(uuid, u -> new SimVmHandle(host, u));
    }

    @Override
    public SdkJob<List<SnapshotInfo>> listSnapshots(UUID uuid) {
        open();
        return host.vmJob("snapshots", uuid, 0, SimVm::snapshotList, () -> { });
    }

    @Override
    public SdkJob<Void> deleteSnapshot(UUID uuid, String name) {
        open();
        return host.vmJob("snapshot-delete", uuid, 0, vm -> {
            host.deleteSnapshot(vm, name);
            return null;
        }, () -> { });
    }

    @Override
    public SdkJob<Void> dropManagedSave(UUID uuid) {
        open();
        return host.vmJob("drop-save", uuid, 0, vm -> {
            if (!vm.managedSave) {
                return null;
            }
            vm.managedSave = false;
            if (vm.state == VmState.SUSPENDED) {
                host.changeState(vm, VmState.STOPPED, "shutdown");
            } else {
                host.persist(vm);
            }
            return null;
        }, () -> { });
    }

    @Override
    public synchronized AutoCloseable subscribe(Consumer<SdkEvent> listener) {
        open();
        AutoCloseable sub = host.subscribe(listener);
        subscriptions.add(sub);
        return sub;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            for (AutoCloseable sub : subscriptions) {
                try {
                    sub.close();
                } catch (Exception ignored) {
                    // removing a listener cannot fail
                }
            }
        }
        SimHosts.release(host);
    }

    // ---- SimControl ----

    @Override
    public void setLatency(String op, Duration latency) {
        host.faults.setLatency(op, latency);
    }

    @Override
    public void setCompletionDelay(String op, Duration delay) {
        host.faults.setAfter(op, delay);
    }

    @Override
    public void setRandomLatency(Duration min, Duration max) {
        host.faults.setRandom(min, max);
    }

    @Override
    public void failNext(String op, String message) {
        host.faults.failNext(op, message);
    }

    @Override
    public void failAlways(String op, String message) {
        host.faults.failAlways(op, message);
    }

    @Override
    public void failRate(String op, double p) {
        host.faults.failRate(op, p);
    }

    @Override
    public void failAt(String op, double fraction) {
        host.faults.failAt(op, fraction);
    }

    @Override
    public void hangNext(String op) {
        host.faults.hang(op, false);
    }

    @Override
    public void hangAlways(String op) {
        host.faults.hang(op, true);
    }

    @Override
    public void clearFaults() {
        host.faults.clear();
    }

    @Override
    public int handleViolations() {
        return host.violations.get();
    }

    @Override
    public int runningJobs() {
        return host.running.get();
    }

    @Override
    public UUID externalDefine(DomainDef config) {
        return host.externalDefine(config);
    }

    @Override
    public void externalChange(UUID uuid, UnaryOperator<DomainDef> change) {
        host.externalChange(uuid, change);
    }

    @Override
    public void externalSetState(UUID uuid, VmState state, String reason) {
        host.externalSetState(uuid, state, reason);
    }

    @Override
    public void externalRemove(UUID uuid) {
        host.externalRemove(uuid);
    }

    @Override
    public String address() {
        return host.address;
    }
}
