package io.jvirt.api;

/**
 * What {@link Domain#undefine(UndefineOption...)} may remove along with the definition. Without
 * the option, a domain that still has such data is not undefined ({@code OPERATION_INVALID}), so
 * nothing is lost by accident.
 */
public enum UndefineOption {
    /** Delete the domain's snapshots (and their metadata) with it. */
    SNAPSHOTS_METADATA,
    /** Delete the domain's managed-save image with it. */
    MANAGED_SAVE
}
