package io.jvirt.driver.vz;

import io.jvirt.api.DomainEvent.Lifecycle;
import io.jvirt.api.xml.DomainDef;
import io.jvirt.driver.vz.cache.VmPrivate;
import io.jvirt.spi.DomainObj;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * A define and the SDK's VM-added event for the same VM race to put it in the cache: they must make
 * one domain object, never two and never a half-built one, whichever wins.
 */
@Timeout(120)
class VzDefineRaceTest {

    @Test
    void defineRacingTheAddedEventMakesOneWholeDomain() throws Exception {
        try (VzFixture f = new VzFixture("vz:///sim")) {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<String> broken = new AtomicReference<>();
            Set<UUID> wanted = ConcurrentHashMap.newKeySet();
            // a reader that looks at every domain as soon as it is visible
            Thread reader = Thread.ofPlatform().name("race-reader").start(() -> {
                while (!stop.get()) {
                    for (UUID u : wanted) {
                        DomainObj d = f.driver.domains().findByUuid(u);
                        if (d == null) {
                            continue;
                        }
                        VmPrivate p = d.privateData();
                        if (p == null || p.handle == null || p.vmState == null || d.jobs().config().waitTimeout().isZero()) {
                            broken.compareAndSet(null, "half-built domain visible: " + d);
                        }
                    }
                    Thread.onSpinWait();
                }
            });
            int iterations = 300;
            for (int i = 0; i < iterations; i++) {
                // the event sometimes arrives before the define's SDK job completes, sometimes after
                int mode = i % 3;
                f.sim.setCompletionDelay("register", Duration.ofNanos(mode == 0 ? 0
                        : ThreadLocalRandom.current().nextLong(200_000, 3_000_000)));
                f.sim.setLatency("info", Duration.ofNanos(mode == 2 ? ThreadLocalRandom.current().nextLong(0, 2_000_000) : 0));
                DomainDef def = VzFixture.def("race-" + i);
                wanted.add(def.uuid());
                DomainObj d = f.driver.define(def);
                assertSame(d, f.driver.domains().byUuid(def.uuid()));
                assertSame(d, f.driver.domains().byName(def.name()));
            }
            f.settle();
            stop.set(true);
            reader.join(5000);
            assertNull(broken.get());
            assertEquals(iterations, f.driver.domains().size());
            for (UUID u : wanted) {
                assertEquals(1, f.count(u, Lifecycle.DEFINED), "DEFINED events for " + u);
                DomainObj d = f.driver.domains().byUuid(u);
                assertSame(d, f.driver.domains().byName(d.name()));
            }
            List<DomainObj> all = f.driver.domains().list(x -> true);
            assertEquals(iterations, all.stream().map(DomainObj::uuid).distinct().count());
            assertEquals(0, f.sim.handleViolations());
        }
    }
}
