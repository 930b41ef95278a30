package io.jvirt.api;

/**
 * Optional features a driver may claim in {@link Capabilities#features()}. For a feature it does not
 * claim, the matching calls fail with {@link ErrorCode#NO_SUPPORT}; the TCK checks both sides.
 */
public enum Feature {
    /** define/undefine of persistent domains. */
    PERSISTENT,
    /** suspend and resume. */
    SUSPEND,
    /** graceful shutdown and reboot. */
    SHUTDOWN,
    /** autostart flag. */
    AUTOSTART,
    /** long async jobs with jobInfo/abortJob. */
    JOBS,
    /** save to a file and restore. */
    SAVE,
    /** managed save. */
    MANAGED_SAVE,
    /** snapshots. */
    SNAPSHOTS,
    /** live migration. */
    MIGRATION,
    /** block copy and block jobs. */
    BLOCK_JOBS,
    /** device hotplug and unplug. */
    HOTPLUG,
    /** changing memory of a running domain (balloon). */
    SET_MEMORY,
    /** guest agent commands. */
    AGENT,
    /** setting a guest user's password (through the guest agent or the hypervisor's guest tools). */
    SET_USER_PASSWORD,
    /** statistics of disks, interfaces and memory. */
    STATS
}
