package io.jvirt.lock.lockd;

import io.jvirt.api.ErrorCode;

/** A refused request inside the daemon; becomes an error response with its code. */
final class LockdException extends Exception {
    private final ErrorCode code;

    LockdException(ErrorCode code, String message) {
        super(message);
        this.code = code;
    }

    ErrorCode code() {
        return code;
    }
}
