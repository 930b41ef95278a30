package io.jvirt.driver.vz.sim;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The emulated hosts of this JVM. Sessions naming the same host ({@code host=NAME}) or the same
 * root directory share one {@link SimHost}; a plain {@code vz:///sim} gets a fresh anonymous one.
 * A host lives while a session uses it. Migration finds its target here by address.
 */
final class SimHosts {
    private static final AtomicInteger ANON = new AtomicInteger();
    private static final Map<String, Entry> BY_KEY = new HashMap<>();
    private static final Map<String, SimHost> BY_ADDRESS = new ConcurrentHashMap<>();

    private record Entry(SimHost host, int refs) {
    }

    private SimHosts() {
    }

    /** Gets or creates the host for the given name or root (both null: a new anonymous host). */
    static synchronized SimHost acquire(String name, Path root, Duration statsPeriod) {
        String key;
        String address;
        if (root != null) {
            Path abs = root.toAbsolutePath().normalize();
            key = "root:" + abs;
            address = "sim://root" + abs;
        } else if (name != null) {
            if (!name.matches("[A-Za-z0-9._-]{1,64}")) {
                throw new VirtException(ErrorCode.INVALID_ARG, "emulated host name '" + name
                        + "' must be 1-64 letters, digits, '.', '_' or '-'");
            }
            key = "host:" + name;
            address = "sim://" + name;
        } else {
            key = "anon:" + ANON.incrementAndGet();
            address = "sim://anon-" + ANON.get();
        }
        Entry e = BY_KEY.get(key);
        if (e == null) {
            SimHost host = new SimHost(address, root == null ? null : new SimStore(root), statsPeriod);
            e = new Entry(host, 0);
            BY_ADDRESS.put(address, host);
        }
        BY_KEY.put(key, new Entry(e.host(), e.refs() + 1));
        return e.host();
    }

    /** Drops a session's use of {@code host}; the last one closes it. */
    static void release(SimHost host) {
        boolean close = false;
        synchronized (SimHosts.class) {
            for (Map.Entry<String, Entry> me : BY_KEY.entrySet()) {
                if (me.getValue().host() == host) {
                    int refs = me.getValue().refs() - 1;
                    if (refs <= 0) {
                        BY_KEY.remove(me.getKey());
                        BY_ADDRESS.remove(host.address, host);
                        close = true;
                    } else {
                        me.setValue(new Entry(host, refs));
                    }
                    break;
                }
            }
        }
        if (close) {
            host.close();
        }
    }

    /** The live host at {@code address}, or null. */
    static SimHost byAddress(String address) {
        return BY_ADDRESS.get(address);
    }
}
