package io.jvirt.driver.qemu.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.jvirt.api.xml.Device;
import io.jvirt.api.xml.DomainDef;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The driver's side of one running domain's guest agent: the only {@link AgentClient} on the
 * agent channel's socket (QEMU's chardev serves one client at a time), plus the routing of the
 * monitor's events into it.
 *
 * <ul>
 *   <li>{@code VSERPORT_CHANGE} for the agent channel's port id: the agent opened or closed its end
 *       ({@link AgentClient#onPortOpened()} / {@link AgentClient#onPortClosed()}); the state
 *       listener turns these into agent-lifecycle events;</li>
 *   <li>{@code SHUTDOWN} and {@code RESET}: the guest is going away
 *       ({@link AgentClient#onGuestShutdown(boolean)}), which completes a waiting guest-shutdown and
 *       fails any other waiting command at once.</li>
 * </ul>
 *
 * The client connects on the first command, so a driver instance that never talks to the agent
 * (a {@code jvirsh list}) never occupies the socket. Event routing never blocks: the hooks only
 * queue a marker for a waiting command.
 */
public final class DomainAgent implements AutoCloseable {
    private final AgentClient client;
    private final String portId;
    private final AgentStateListener listener;

    private DomainAgent(AgentClient client, String portId, AgentStateListener listener) {
        this.client = client;
        this.portId = portId;
        this.listener = listener;
        client.addListener(listener);
    }

    /**
     * The agent of a domain running {@code liveDef}, or null when it has no guest-agent channel.
     *
     * @param liveDef  the running definition (channel aliases filled in)
     * @param socket   the agent channel's unix socket (QEMU listens on it), or null when none
     * @param listener told when the agent connects or goes away
     */
    public static DomainAgent of(DomainDef liveDef, Path socket, AgentStateListener listener) {
        Objects.requireNonNull(listener, "listener");
        if (socket == null) {
            return null;
        }
        String port = null;
        for (Device d : liveDef.devices()) {
            if (d instanceof Device.Channel ch && Device.Channel.GUEST_AGENT.equals(ch.targetName())) {
                port = ch.alias();
            }
        }
        return new DomainAgent(new AgentClient(socket), port, listener);
    }

    /** The client (one per running domain). */
    public AgentClient client() {
        return client;
    }

    /** The QEMU device id of the agent's virtserialport ({@code channel0}, ...), or null if unknown. */
    public String portId() {
        return portId;
    }

    /** Routes a monitor event into the client. Never blocks. */
    public void onMonitorEvent(String name, JsonNode data) {
        switch (name) {
            case "VSERPORT_CHANGE" -> {
                if (portId != null && portId.equals(data.path("id").asText(null))) {
                    if (data.path("open").asBoolean(false)) {
                        client.onPortOpened();
                    } else {
                        client.onPortClosed();
                    }
                }
            }
            case "SHUTDOWN" -> client.onGuestShutdown(false);
            case "RESET" -> client.onGuestShutdown(true);
            default -> {
                // not about the agent
            }
        }
    }

    /**
     * The domain stopped: closes the connection (a waiting command fails at once) and, if the agent
     * was connected, tells the listener it is gone.
     */
    @Override
    public void close() {
        boolean wasOpen = client.portState() == AgentClient.PortState.OPEN;
        client.close();
        if (wasOpen) {
            listener.agentStateChanged(false, "domain stopped");
        }
    }

    /** The driver instance is closing but QEMU keeps running: closes the connection, no event. */
    public void detach() {
        client.close();
    }
}
