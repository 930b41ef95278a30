package io.jvirt.api;

/** Which domains {@link Connection#listDomains(ListFilter...)} returns; several filters intersect. */
public enum ListFilter {
    ACTIVE, INACTIVE, PERSISTENT, TRANSIENT, AUTOSTART, NO_AUTOSTART
}
