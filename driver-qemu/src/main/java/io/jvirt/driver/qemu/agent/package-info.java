/**
 * The QEMU guest agent (qemu-ga) client: {@link io.jvirt.driver.qemu.agent.AgentClient} speaks the
 * agent's JSON-lines protocol over the domain's virtio-serial channel socket (sync with
 * guest-sync-delimited, bounded timeouts, stale-reply discarding), and
 * {@link io.jvirt.driver.qemu.agent.GuestAgent} offers the typed commands the driver needs.
 */
package io.jvirt.driver.qemu.agent;
