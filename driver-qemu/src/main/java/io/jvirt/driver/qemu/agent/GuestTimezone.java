package io.jvirt.driver.qemu.agent;

/**
 * The guest's time zone (guest-get-timezone).
 *
 * @param zone          the zone's name ({@code UTC}, {@code CET}), or null if the guest has none
 * @param offsetSeconds offset from UTC in seconds
 */
public record GuestTimezone(String zone, int offsetSeconds) {
}
