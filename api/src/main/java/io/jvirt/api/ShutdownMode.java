package io.jvirt.api;

/** How a graceful shutdown or reboot is asked of the guest. {@link #DEFAULT} lets the driver choose. */
public enum ShutdownMode {
    DEFAULT, ACPI, AGENT
}
