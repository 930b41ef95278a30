package io.jvirt.api;

import java.util.Objects;

/**
 * A domain's state with its reason, as {@code virsh domstate --reason} shows it.
 *
 * @param state  the state
 * @param reason why the domain is in that state
 */
public record DomainStatus(DomainState state, StateReason reason) {
    public DomainStatus {
        Objects.requireNonNull(state, "state");
        Objects.requireNonNull(reason, "reason");
    }

    public static DomainStatus of(DomainState state, StateReason reason) {
        return new DomainStatus(state, reason);
    }

    @Override
    public String toString() {
        return state.label() + " (" + reason.label() + ")";
    }
}
