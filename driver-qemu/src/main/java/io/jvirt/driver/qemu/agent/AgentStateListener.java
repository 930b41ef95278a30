package io.jvirt.driver.qemu.agent;

/** Told when the guest agent's channel opens or closes (from the driver's VSERPORT_CHANGE events). */
@FunctionalInterface
public interface AgentStateListener {
    /**
     * The agent connected ({@code connected == true}) or went away.
     *
     * @param connected whether the agent's port is now open in the guest
     * @param reason    a short reason ("port opened", "port closed", "guest shutdown", ...)
     */
    void agentStateChanged(boolean connected, String reason);
}
