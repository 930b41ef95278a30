package io.jvirt.driver.vz.sim;

import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.vz.sdk.VmState;

import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * Test control of the SDK emulator, reached with {@code connection.unwrap(SimControl.class)} on a
 * {@code vz:///sim} connection. Operations are named as in {@link #OPERATIONS}; the same settings
 * can be given in the URI ({@code latency.migrate=10000}, {@code fail.snapshot=once}, …, see
 * {@code docs/vz-driver.md}).
 */
public interface SimControl {
    /** The SDK operations whose latency and failures can be configured. */
    Set<String> OPERATIONS = Set.of("list", "info", "register", "edit", "commit", "start", "stop", "shutdown",
            "pause", "resume", "restart", "reset", "save", "attach", "detach", "memory", "password", "snapshot",
            "revert", "migrate", "unregister", "snapshots", "snapshot-delete", "drop-save", "transient", "autostart");

    /** Makes {@code op} take {@code latency} before it takes effect. */
    void setLatency(String op, Duration latency);

    /** Makes {@code op} wait {@code delay} after it took effect before its job completes (events race ahead). */
    void setCompletionDelay(String op, Duration delay);

    /** Gives every operation without a fixed latency a random one in [min, max]. */
    void setRandomLatency(Duration min, Duration max);

    /** Makes the next {@code op} fail with {@code message}. */
    void failNext(String op, String message);

    /** Makes every {@code op} fail with {@code message} until {@link #clearFaults()}. */
    void failAlways(String op, String message);

    /** Makes {@code op} fail with probability {@code p} (0..1). */
    void failRate(String op, double p);

    /** Where in its latency {@code op} fails: 0 = at once, 1 = at the end (default 0.5). */
    void failAt(String op, double fraction);

    /** Makes the next {@code op}'s job never complete (until cancelled). */
    void hangNext(String op);

    /** Makes every {@code op}'s job never complete (until cancelled). */
    void hangAlways(String op);

    /** Removes every latency, failure and hang setting. */
    void clearFaults();

    /** How many times a VM's shared handle was used while another operation on it was still running. */
    int handleViolations();

    /** How many SDK jobs are running right now. */
    int runningJobs();

    /** Registers a VM "by another tool": the driver learns of it from the VM-added event. */
    UUID externalDefine(DomainDef config);

    /** Changes a VM's configuration "by another tool" (a config-changed event follows). */
    void externalChange(UUID uuid, UnaryOperator<DomainDef> change);

    /** Changes a VM's state "by another tool" or by the guest (a state-changed event follows). */
    void externalSetState(UUID uuid, VmState state, String reason);

    /** Unregisters a VM "by another tool" (a VM-removed event follows). */
    void externalRemove(UUID uuid);

    /** The emulated host's migration address. */
    String address();
}
