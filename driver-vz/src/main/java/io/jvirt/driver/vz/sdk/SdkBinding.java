package io.jvirt.driver.vz.sdk;

import java.util.Map;

/**
 * The plug point for a real Virtuozzo SDK: an implementation (a native binding over the SDK's C
 * library, say) registers itself with {@link java.util.ServiceLoader} and is used for
 * {@code vz:///system}. None ships with jvirt; the emulator ({@code vz:///sim}) implements the same
 * {@link SdkSession} port.
 */
public interface SdkBinding {
    /** A short name for messages ({@code "prlsdk"}). */
    String name();

    /** Whether the binding can work on this machine (library present, service running). */
    boolean available();

    /**
     * Connects and logs in to the local host.
     *
     * @param params the connection URI's query parameters
     * @throws SdkException {@code DISCONNECTED} when the host cannot be reached
     */
    SdkSession login(Map<String, String> params);
}
