package io.jvirt.driver.qemu.agent;

import java.time.Instant;

/**
 * A user logged in to the guest (guest-get-users).
 *
 * @param name      the user name
 * @param domain    the login domain (Windows guests), or null
 * @param loginTime when the user logged in
 */
public record GuestUser(String name, String domain, Instant loginTime) {
}
