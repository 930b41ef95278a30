package io.jvirt.spi.lock;

import com.google.auto.service.AutoService;

import java.io.FileDescriptor;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/**
 * The {@code nop} plugin, the default: locks nothing, needs no connection, always succeeds.
 * Its state string is always empty.
 */
@AutoService(LockManagerProvider.class)
public final class NopLockManagerProvider implements LockManagerProvider {
    /** The plugin's name. */
    public static final String NAME = "nop";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public LockManager create(String driverName, ConfFile settings) {
        settings.requireKnown(Set.of());
        return new LockManager() {
            @Override
            public String name() {
                return NAME;
            }

            @Override
            public LockSession session(LockOwner owner, List<LockResource> resources) {
                List<LockResource> copy = List.copyOf(resources);
                return new LockSession() {
                    @Override
                    public LockOwner owner() {
                        return owner;
                    }

                    @Override
                    public List<LockResource> resources() {
                        return copy;
                    }

                    @Override
                    public List<Path> connectPaths() {
                        return List.of();
                    }

                    @Override
                    public void acquire(String state, Set<AcquireFlag> flags, List<FileDescriptor> connections) {
                        if (!connections.isEmpty()) {
                            throw new IllegalArgumentException("the nop plugin asks for no connections, got "
                                    + connections.size());
                        }
                    }

                    @Override
                    public String release() {
                        return "";
                    }

                    @Override
                    public String inquire() {
                        return "";
                    }

                    @Override
                    public void close() {
                    }
                };
            }

            @Override
            public void close() {
            }
        };
    }
}
