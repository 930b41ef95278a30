package io.jvirt.driver.qemu.guest;

import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.InterfaceAddresses;
import io.jvirt.api.ShutdownMode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.qemu.QemuHost;
import io.jvirt.driver.qemu.agent.AgentClient;
import io.jvirt.driver.qemu.agent.AgentTimeout;
import io.jvirt.driver.qemu.agent.DomainAgent;
import io.jvirt.driver.qemu.agent.GuestAgent;
import io.jvirt.driver.qemu.agent.GuestShutdownMode;
import io.jvirt.driver.qemu.process.QemuRun;
import io.jvirt.spi.DomainObj;
import io.jvirt.spi.job.AgentJob;
import io.jvirt.spi.job.AgentJobKind;
import io.jvirt.spi.job.MonitorGuard;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The QEMU driver's guest-agent operations. Each one takes an <em>agent job</em> (never a normal
 * job: a silent or hostile agent cannot hold up the monitor), checks that the domain runs, and
 * talks to the agent with the domain lock dropped ({@link AgentJob#agent}). An agent that is not
 * connected, silent or gone fails with {@code AGENT_UNRESPONSIVE}; the domain and its monitor
 * stay usable meanwhile. A paused guest's agent cannot run: its calls fail at once with
 * {@code OPERATION_INVALID}. A domain without an {@code org.qemu.guest_agent.0} channel fails with
 * {@code CONFIG_UNSUPPORTED}.
 *
 * <p>File-system freeze and thaw are only ever sent to the guest over its agent channel.
 */
public final class GuestOps {
    private static final System.Logger LOG = System.getLogger(GuestOps.class.getName());
    private final QemuHost host;

    public GuestOps(QemuHost host) {
        this.host = host;
    }

    /** Raw qemu-ga JSON; returns the agent's whole reply. {@code timeout} as {@link AgentTimeout#ofApi}. */
    public String agentCommand(DomainObj dom, String json, Duration timeout) {
        AgentTimeout t = AgentTimeout.ofApi(timeout);
        return call(dom, AgentJobKind.MODIFY, "agentCommand", a -> a.client().passthrough(json, t));
    }

    /** The guest's clock. */
    public Instant time(DomainObj dom) {
        return call(dom, AgentJobKind.QUERY, "time", GuestAgent::time);
    }

    /** Sets the guest's clock; null: from the guest's own hardware clock. */
    public void setTime(DomainObj dom, Instant time) {
        call(dom, AgentJobKind.MODIFY, "setTime", a -> {
            a.setTime(time);
            return null;
        });
    }

    /** Freezes the guest's file systems (all when {@code mountpoints} is empty); how many were frozen. */
    public int fsFreeze(DomainObj dom, List<String> mountpoints) {
        return call(dom, AgentJobKind.MODIFY, "fsFreeze", a -> a.fsFreeze(mountpoints));
    }

    /**
     * Thaws the guest's file systems; how many were thawed. qemu-ga thaws everything at once, so
     * naming mount points is refused with {@code NO_SUPPORT}.
     */
    public int fsThaw(DomainObj dom, List<String> mountpoints) {
        if (mountpoints != null && !mountpoints.isEmpty()) {
            throw new VirtException(ErrorCode.NO_SUPPORT, "this function is not supported by the connection driver: "
                    + "fsThaw of selected mount points " + mountpoints + " (the guest agent thaws all of them at once;"
                    + " pass no mount points)");
        }
        return call(dom, AgentJobKind.MODIFY, "fsThaw", GuestAgent::fsThaw);
    }

    /** The guest's interfaces and addresses; only {@code Source.AGENT} is supported. */
    public List<InterfaceAddresses> interfaceAddresses(DomainObj dom, InterfaceAddresses.Source source) {
        if (source != InterfaceAddresses.Source.AGENT) {
            throw VirtException.noSupport("interfaceAddresses --source " + String.valueOf(source).toLowerCase(java.util.Locale.ROOT)
                    + " (the QEMU driver answers from the guest agent only: use source AGENT)");
        }
        return call(dom, AgentJobKind.QUERY, "interfaceAddresses", GuestAgent::interfaces);
    }

    /** OS, host name, time zone and users, under virsh guestinfo's keys. */
    public Map<String, String> guestInfo(DomainObj dom) {
        return call(dom, AgentJobKind.QUERY, "guestInfo", GuestAgent::guestInfo);
    }

    /** Sets a guest user's password ({@code encrypted}: already hashed). */
    public void setUserPassword(DomainObj dom, String user, String password, boolean encrypted) {
        call(dom, AgentJobKind.MODIFY, "setUserPassword", a -> {
            a.setUserPassword(user, password, encrypted);
            return null;
        });
    }

    /**
     * Shuts the guest down: {@code ACPI} presses the power button; {@code AGENT} asks qemu-ga to
     * power off; {@code DEFAULT} uses the agent when it is known to be connected and falls back to
     * the power button if the agent does not answer. Returns when QEMU has exited (or fails with
     * {@code OPERATION_TIMEOUT} after the configured shutdown timeout).
     */
    public void shutdown(DomainObj dom, ShutdownMode mode) {
        ShutdownMode m = mode == null ? ShutdownMode.DEFAULT : mode;
        if (m == ShutdownMode.ACPI || (m == ShutdownMode.DEFAULT && !agentConnected(dom))) {
            host.lifecycle().shutdown(dom);
            return;
        }
        QemuRun run;
        try {
            run = guestShutdown(dom, GuestShutdownMode.POWERDOWN, "shutdown");
        } catch (VirtException e) {
            if (m == ShutdownMode.DEFAULT && e.code() == ErrorCode.AGENT_UNRESPONSIVE) {
                LOG.log(System.Logger.Level.INFO, "domain ''{0}'': agent shutdown failed ({1}); pressing the power button",
                        dom.name(), e.getMessage());
                host.lifecycle().shutdown(dom);
                return;
            }
            throw e;
        }
        awaitStopped(dom, run);
    }

    /**
     * Reboots the guest: {@code AGENT} asks qemu-ga to reboot (returns once the guest went down);
     * {@code ACPI} resets it through the monitor; {@code DEFAULT} uses the agent when it is known
     * to be connected, else the monitor. The domain keeps running.
     */
    public void reboot(DomainObj dom, ShutdownMode mode) {
        ShutdownMode m = mode == null ? ShutdownMode.DEFAULT : mode;
        if (m == ShutdownMode.ACPI || (m == ShutdownMode.DEFAULT && !agentConnected(dom))) {
            host.lifecycle().reboot(dom);
            return;
        }
        try {
            guestShutdown(dom, GuestShutdownMode.REBOOT, "reboot");
        } catch (VirtException e) {
            if (m == ShutdownMode.DEFAULT && e.code() == ErrorCode.AGENT_UNRESPONSIVE) {
                host.lifecycle().reboot(dom);
                return;
            }
            throw e;
        }
    }

    // ---- plumbing ----

    private boolean agentConnected(DomainObj dom) {
        try (var l = dom.locked()) {
            return dom.isActive() && dom.state() == DomainState.RUNNING && dom.privateData() instanceof QemuRun run && run.agent() != null
                    && run.agent().client().portState() == AgentClient.PortState.OPEN;
        }
    }

    /** guest-shutdown under a MODIFY agent job; returns the run it was sent to. */
    private QemuRun guestShutdown(DomainObj dom, GuestShutdownMode mode, String api) {
        boolean[] done = new boolean[1];
        QemuRun[] target = new QemuRun[1];
        try {
            call(dom, AgentJobKind.MODIFY, api, (run, a) -> {
                target[0] = run;
                a.shutdown(mode);
                done[0] = true;
                return null;
            });
        } catch (VirtException e) {
            // the guest went down so fast that the domain had stopped before the job re-checked it
            if (!(done[0] && (e.code() == ErrorCode.OPERATION_INVALID || e.code() == ErrorCode.NO_DOMAIN))) {
                throw e;
            }
        }
        return target[0];
    }

    private void awaitStopped(DomainObj dom, QemuRun run) {
        Duration timeout = host.config().shutdownTimeout();
        try {
            run.stoppedFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new VirtException(ErrorCode.OPERATION_TIMEOUT, "domain '" + dom.name() + "' did not power off within "
                    + timeout.toSeconds() + " s of the guest agent's shutdown");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VirtException(ErrorCode.OPERATION_ABORTED, "interrupted while waiting for the guest to power off");
        } catch (ExecutionException e) {
            // stop processing failed: it has logged why; the domain is no longer this run
        }
    }

    private <T> T call(DomainObj dom, AgentJobKind kind, String api, Function<GuestAgent, T> fn) {
        return call(dom, kind, api, (run, a) -> fn.apply(a));
    }

    private <T> T call(DomainObj dom, AgentJobKind kind, String api, AgentCall<T> fn) {
        try (var l = dom.locked(); AgentJob job = dom.jobs().beginAgent(kind, api)) {
            dom.requireActive();
            if (dom.state() != DomainState.RUNNING) {
                // a paused (or crashed) guest's agent cannot run: fail now rather than time out
                throw VirtException.invalid("domain is not running (it is " + dom.state().name().toLowerCase(java.util.Locale.ROOT)
                        + "): the guest agent cannot answer");
            }
            QemuRun run = dom.privateData();
            DomainAgent agent = run.agent();
            if (agent == null) {
                throw new VirtException(ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: domain '" + dom.name()
                        + "' has no guest agent channel (add <channel type='unix'><target type='virtio' name='"
                        + io.jvirt.api.xml.Device.Channel.GUEST_AGENT + "'/></channel>)");
            }
            GuestAgent typed = new GuestAgent(agent.client());
            return job.agent(() -> {
                MonitorGuard.requireAgentJob(dom);
                return fn.apply(run, typed);
            });
        }
    }

    @FunctionalInterface
    private interface AgentCall<T> {
        T apply(QemuRun run, GuestAgent agent);
    }
}
