package io.jvirt.driver.vz.sdk;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import io.jvirt.driver.vz.sim.SimSession;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/** Finds the SDK backend for a vz URI: the emulator for {@code sim}, a real binding for {@code system}. */
public final class SdkBackends {
    private SdkBackends() {
    }

    /**
     * Logs in to the backend.
     *
     * @throws VirtException {@code NO_CONNECT} when no real SDK binding is available for {@code system}
     */
    public static SdkSession login(String backend, Map<String, String> params) {
        if (backend.equals("sim")) {
            return SimSession.login(params);
        }
        List<String> seen = new ArrayList<>();
        for (SdkBinding b : ServiceLoader.load(SdkBinding.class, SdkBackends.class.getClassLoader())) {
            if (b.available()) {
                try {
                    return b.login(params);
                } catch (SdkException e) {
                    throw new VirtException(ErrorCode.NO_CONNECT, "vz:///system: cannot log in to the Virtuozzo host through "
                            + b.name() + ": " + e.getMessage(), e);
                }
            }
            seen.add(b.name() + " (not usable here)");
        }
        throw new VirtException(ErrorCode.NO_CONNECT, "vz:///system: no real Virtuozzo SDK binding is available"
                + (seen.isEmpty() ? "" : " (found " + String.join(", ", seen) + ")")
                + "; jvirt ships only the SDK emulator: use vz:///sim, or add an implementation of "
                + SdkBinding.class.getName() + " (see docs/vz-driver.md)");
    }
}
