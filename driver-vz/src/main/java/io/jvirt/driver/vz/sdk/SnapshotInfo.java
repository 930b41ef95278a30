package io.jvirt.driver.vz.sdk;

import io.jvirt.api.xml.DomainDef;

import java.time.Instant;

/**
 * One snapshot of a VM as the SDK lists it.
 *
 * @param name        its name (unique per VM)
 * @param parent      the parent's name, or null for a root
 * @param description free text, or empty
 * @param created     when it was taken
 * @param vmState     the VM's state when taken (a running VM's snapshot includes memory)
 * @param config      the VM's configuration when taken
 * @param current     whether the VM currently derives from it
 */
public record SnapshotInfo(String name, String parent, String description, Instant created, VmState vmState,
                           DomainDef config, boolean current) {
}
