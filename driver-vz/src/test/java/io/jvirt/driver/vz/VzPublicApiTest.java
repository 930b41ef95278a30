package io.jvirt.driver.vz;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.JobInfo;
import io.jvirt.api.MigrateOptions;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import io.jvirt.driver.vz.sim.SimControl;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The vz driver through the public API: Virt.open, unwrap extras, migration between connections. */
@Timeout(60)
class VzPublicApiTest {

    @Test
    void capabilitiesAndSimControlThroughTheConnection() {
        try (Connection c = Virt.open("vz:///sim")) {
            assertEquals("vz", c.driverName());
            assertTrue(c.capabilities().notes().stream().anyMatch(n -> n.contains("emulated")));
            SimControl sim = c.unwrap(SimControl.class);
            assertNotNull(sim);
            UUID id = sim.externalDefine(VzFixture.def("from-outside"));
            VzFixture.waitFor(Duration.ofSeconds(5), () -> c.listDomains().stream().anyMatch(d -> d.uuid().equals(id)));
            assertEquals("from-outside", c.lookupDomainByUuid(id).name());
        }
        VirtException e = assertThrows(VirtException.class, () -> Virt.open("vz:///system"));
        assertEquals(ErrorCode.NO_CONNECT, e.code());
    }

    @Test
    void guestToolsSetTheUserPasswordWithoutAGuestAgent() {
        try (Connection c = Virt.open("vz:///sim")) {
            Domain d = c.defineDomain(VzFixture.xml("pw", UUID.randomUUID()));
            VirtException notRunning = assertThrows(VirtException.class, () -> d.setUserPassword("root", "x", false));
            assertEquals(ErrorCode.OPERATION_INVALID, notRunning.code());
            d.start();
            d.setUserPassword("root", "secret", false);
            assertEquals(ErrorCode.NO_SUPPORT, assertThrows(VirtException.class,
                    () -> d.agentCommand("{\"execute\":\"guest-ping\"}", null)).code());
        }
    }

    @Test
    void migrateBetweenTwoRootsWithJobInfoAndAbortFromAnotherThread(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
            throws Exception {
        try (Connection a = Virt.open("vz:///sim?root=" + tmp.resolve("a") + "&latency.migrate=1500");
             Connection b = Virt.open("vz:///sim?root=" + tmp.resolve("b"))) {
            Domain d = a.defineDomain(VzFixture.xml("roamer", UUID.randomUUID()));
            d.start();
            CompletableFuture<Domain> f = CompletableFuture.supplyAsync(() -> d.migrate(b, MigrateOptions.live()));
            VzFixture.waitFor(Duration.ofSeconds(5), () -> d.jobInfo().type() == JobInfo.Type.BOUNDED);
            assertEquals("migration out", d.jobInfo().operation());
            Domain there = f.get(10, TimeUnit.SECONDS);
            assertEquals(DomainState.RUNNING, there.state().state());
            assertEquals(ErrorCode.NO_DOMAIN, assertThrows(VirtException.class, d::info).code());
            assertEquals(1, b.listDomains().size());
            assertEquals(0, a.listDomains().size());
        }
    }
}
