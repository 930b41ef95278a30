package io.jvirt.spi;

import io.jvirt.api.ErrorCode;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DomainObjListTest {
    private final DomainObjList list = new DomainObjList();

    @Test
    void addThenLookUpByUuidNameAndId() {
        UUID u = UUID.randomUUID();
        DomainObjList.AddResult r = list.addOrGet(Defs.def("a", u), true);
        assertTrue(r.added());
        DomainObj obj = r.domain();
        assertSame(obj, list.byUuid(u));
        assertSame(obj, list.byName("a"));
        assertTrue(obj.isPersistent());
        try (var l = obj.locked()) {
            list.setId(obj, 7);
        }
        assertSame(obj, list.byId(7));
        assertEquals(7, obj.id());
        try (var l = obj.locked()) {
            list.setId(obj, -1);
        }
        assertEquals(ErrorCode.NO_DOMAIN, assertThrows(VirtException.class, () -> list.byId(7)).code());
    }

    @Test
    void sameNameAndUuidReturnsExisting() {
        UUID u = UUID.randomUUID();
        DomainObj first = list.addOrGet(Defs.def("a", u), true).domain();
        DomainObjList.AddResult again = list.addOrGet(Defs.def("a", u), false);
        assertFalse(again.added());
        assertSame(first, again.domain());
        assertEquals(1, list.size());
    }

    @Test
    void sameNameOtherUuidIsDomainExists() {
        UUID u = UUID.randomUUID();
        list.addOrGet(Defs.def("a", u), true);
        VirtException e = assertThrows(VirtException.class, () -> list.addOrGet(Defs.def("a"), true));
        assertEquals(ErrorCode.DOMAIN_EXISTS, e.code());
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains(u.toString()), e.getMessage());
    }

    @Test
    void sameUuidOtherNameIsDomainExists() {
        UUID u = UUID.randomUUID();
        list.addOrGet(Defs.def("a", u), true);
        VirtException e = assertThrows(VirtException.class, () -> list.addOrGet(Defs.def("b", u), true));
        assertEquals(ErrorCode.DOMAIN_EXISTS, e.code());
        assertTrue(e.getMessage().contains("'a'") && e.getMessage().contains(u.toString()), e.getMessage());
        assertEquals(1, list.size());
    }

    @Test
    void removeIsDetectedAndFreesNameUuidAndId() {
        UUID u = UUID.randomUUID();
        DomainObj obj = list.addOrGet(Defs.def("a", u), false).domain();
        try (var l = obj.locked()) {
            list.setId(obj, 3);
            list.remove(obj);
        }
        assertTrue(obj.isRemoved());
        assertNull(list.findByUuid(u));
        assertThrows(VirtException.class, () -> list.byName("a"));
        assertThrows(VirtException.class, () -> list.byId(3));
        // an id handed to a removed domain is not re-registered
        try (var l = obj.locked()) {
            list.setId(obj, 4);
        }
        assertThrows(VirtException.class, () -> list.byId(4));
        // requireActive on a removed object fails clearly
        assertEquals(ErrorCode.OPERATION_INVALID, assertThrows(VirtException.class, obj::requireActive).code());
        // the name and uuid are free again
        DomainObj again = list.addOrGet(Defs.def("a", u), true).domain();
        assertFalse(again.isRemoved());
    }

    @Test
    void waiterOnTheLockSeesRemoval() throws Exception {
        DomainObj obj = list.addOrGet(Defs.def("a"), true).domain();
        CountDownLatch waiting = new CountDownLatch(1);
        obj.lock();
        Thread t;
        boolean[] sawRemoved = new boolean[1];
        try {
            t = Thread.ofVirtual().start(() -> {
                waiting.countDown();
                try (var l = obj.locked()) {
                    sawRemoved[0] = obj.isRemoved();
                }
            });
            waiting.await();
            while (!obj.lockObject().hasQueuedThread(t)) {
                Thread.onSpinWait();
            }
            list.remove(obj);
        } finally {
            obj.unlock();
        }
        t.join();
        assertTrue(sawRemoved[0]);
    }

    @Test
    void modifyingWithoutLockIsRefused() {
        DomainObj obj = list.addOrGet(Defs.def("a"), true).domain();
        assertThrows(IllegalStateException.class, () -> obj.setAutostart(true));
    }

    @Test
    void listFiltersASnapshot() {
        for (int i = 0; i < 10; i++) {
            list.addOrGet(Defs.def("d" + i), i % 2 == 0);
        }
        assertEquals(5, list.list(DomainObj::isPersistent).size());
        assertEquals(10, list.list(o -> true).size());
    }

    @Test
    void lookupsDoNotScanTheList() {
        // O(1): with 20,000 domains, 200,000 lookups of each kind stay far below what a scan would take
        int n = 20_000;
        List<UUID> uuids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            UUID u = UUID.randomUUID();
            uuids.add(u);
            DomainObj o = list.addOrGet(Defs.def("d" + i, u), true).domain();
            try (var l = o.locked()) {
                list.setId(o, i + 1);
            }
        }
        long t0 = System.nanoTime();
        for (int k = 0; k < 200_000; k++) {
            int i = k % n;
            assertSame(list.byUuid(uuids.get(i)), list.byName("d" + i));
            assertSame(list.byId(i + 1), list.findByUuid(uuids.get(i)));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        // a linear scan would be ~8e9 comparisons here (minutes); hashed lookups take well under 5 s
        assertTrue(ms < 5_000, "200k lookups took " + ms + " ms");
    }

    @Test
    @Timeout(30)
    void concurrentAddsKeepNamesAndUuidsUnique() throws Exception {
        AtomicInteger added = new AtomicInteger();
        AtomicInteger refused = new AtomicInteger();
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                fs.add(ex.submit(() -> {
                    try {
                        if (list.addOrGet(Defs.def("same"), true).added()) {
                            added.incrementAndGet();
                        }
                    } catch (VirtException e) {
                        assertEquals(ErrorCode.DOMAIN_EXISTS, e.code());
                        refused.incrementAndGet();
                    }
                }));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        }
        assertEquals(1, added.get());
        assertEquals(199, refused.get());
        assertEquals(1, list.size());
    }
}
