package io.jvirt.driver.vz;

/**
 * A vz-specific extra of one domain, reached with {@code domain.unwrap(VzGuestTools.class)}: what
 * Virtuozzo's guest tools do through the SDK (not through a guest agent, so the driver does not
 * claim {@link io.jvirt.api.Feature#AGENT} and the common {@code Domain.setUserPassword} answers
 * {@code NO_SUPPORT}). A group-2 call: the VM's shared handle under a normal job.
 */
public interface VzGuestTools {
    /**
     * Sets a guest user's password.
     *
     * @param encrypted whether {@code password} is already encrypted (crypt(3) form)
     */
    void setUserPassword(String user, String password, boolean encrypted);
}
