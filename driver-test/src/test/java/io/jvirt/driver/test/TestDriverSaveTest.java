package io.jvirt.driver.test;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.JobInfo;
import io.jvirt.api.StateReason;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Save and restore on the test driver, and its URI settings. */
@Timeout(30)
class TestDriverSaveTest {
    @TempDir
    Path tmp;

    @Test
    void saveStopsAndRestoreBringsBack() throws Exception {
        try (Connection conn = Virt.open("test:///default")) {
            Domain dom = conn.lookupDomainByName("test");
            Path file = tmp.resolve("test.save");
            dom.save(file);
            assertEquals(DomainState.SHUTOFF, dom.state().state());
            assertEquals(StateReason.SAVED, dom.state().reason());
            assertTrue(Files.readString(file).startsWith(TestSaveImage.MAGIC));
            assertEquals(JobInfo.Type.COMPLETED, dom.jobInfo().type());
            assertEquals("save", dom.jobInfo().operation());
            Domain back = conn.restoreDomain(file);
            assertEquals(dom.uuid(), back.uuid());
            assertEquals(DomainState.RUNNING, back.state().state());
            assertEquals(StateReason.RESTORED, back.state().reason());
            VirtException again = assertThrows(VirtException.class, () -> conn.restoreDomain(file));
            assertEquals(ErrorCode.OPERATION_INVALID, again.code());
        }
    }

    @Test
    void slowSaveShowsProgress() throws Exception {
        try (Connection conn = Virt.open("test:///default?saveDelayMs=600")) {
            Domain dom = conn.lookupDomainByName("test");
            Thread saver = Thread.ofVirtual().start(() -> dom.save(tmp.resolve("slow.save")));
            long t0 = System.nanoTime();
            JobInfo seen = null;
            while (saver.isAlive() && seen == null) {
                JobInfo info = dom.jobInfo();
                if (info.type() == JobInfo.Type.BOUNDED && info.dataProcessed() > 0) {
                    seen = info;
                }
                Thread.sleep(10);
            }
            saver.join(5000);
            assertTrue(System.nanoTime() - t0 >= 500_000_000L, "the save did not take its delay");
            assertTrue(seen != null && seen.dataTotal() > 0 && seen.dataRemaining() < seen.dataTotal(), "" + seen);
            assertFalse(dom.isActive());
        }
    }

    @Test
    void badImagesAndSettingsAreRefused() throws Exception {
        Path junk = Files.writeString(tmp.resolve("junk"), "<domain/>");
        try (Connection conn = Virt.open("test:///default")) {
            VirtException e = assertThrows(VirtException.class, () -> conn.restoreDomain(junk));
            assertEquals(ErrorCode.INVALID_ARG, e.code());
            assertTrue(e.getMessage().contains("not a test driver save image"), e.getMessage());
        }
        VirtException bad = assertThrows(VirtException.class, () -> Virt.open("test:///default?saveDelayMs=soon"));
        assertEquals(ErrorCode.NO_CONNECT, bad.code());
        assertTrue(bad.getMessage().contains("saveDelayMs"), bad.getMessage());
        assertThrows(VirtException.class, () -> Virt.open("test:///default?jobWaitMs=0"));
    }
}
