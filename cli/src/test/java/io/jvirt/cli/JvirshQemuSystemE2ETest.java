package io.jvirt.cli;

import io.jvirt.testkit.FirmwareGuest;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainState;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The real {@code qemu:///system} as root with an unprivileged QEMU user: {@code /etc/jvirt/qemu.conf}
 * names {@value #USER} (created with {@code useradd --system} when missing, removed again if this
 * test created it). The test writes that file only when there is none, with {@link #CONF_MARKER}
 * as its first line, and deletes it afterwards; an operator's file (without the marker) is never
 * touched: the test fails instead. It checks that QEMU runs as that user, that the disk image,
 * log, run directory and monitor socket belong to it while QEMU runs and get their owner and mode
 * back after destroy, that the files are in the system directories of docs/qemu-driver.md, that
 * a second JVM ({@code jvirsh -c qemu:///system domstate}) sees the domain running, and that a
 * non-root user opening {@code qemu:///system} gets a one-line connection error.
 */
@Timeout(600)
class JvirshQemuSystemE2ETest {
    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    static final Path JVIRSH = ROOT.resolve("bin/jvirsh");
    static final String USER = "jvirt-test";
    static final String URI = "qemu:///system";
    static final Path CONF = Path.of("/etc/jvirt/qemu.conf");
    static final String CONF_MARKER = "# written by jvirt's JvirshQemuSystemE2ETest; it deletes this file when done";
    /** The system directories (docs/qemu-driver.md, "Directories") and the top ones the driver may create. */
    static final Path ETC = Path.of("/etc/jvirt/qemu");
    static final Path RUN = Path.of("/run/jvirt/qemu");
    static final Path LOG = Path.of("/var/log/jvirt/qemu");
    static final Path CACHE = Path.of("/var/cache/jvirt/qemu");
    /** Deepest first: a directory the test made is removed, one that existed before is kept. */
    static final List<Path> MADE = List.of(ETC, RUN, LOG, CACHE, Path.of("/etc/jvirt"), Path.of("/run/jvirt"),
            Path.of("/var/log/jvirt"), Path.of("/var/cache/jvirt"));

    static boolean userCreated;
    static int uid;
    static int gid;

    @TempDir
    Path dir;

    @BeforeAll
    @Timeout(900)
    static void setUp() throws Exception {
        String id = run("id", "-u");
        if (!id.equals("0")) {
            fail("JvirshQemuSystemE2ETest needs root: it opens qemu:///system, creates the user " + USER
                    + " and chowns files (id -u says " + id + "); run the tests as root (scripts/test does)");
        }
        Proc.Result r = Proc.run(Duration.ofSeconds(880), Map.of(), List.of(JVIRSH.toString(), "-v"));
        assertEquals(0, r.status(), r.toString());
        if (run("id", "-u", USER).isEmpty()) {
            run("useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER);
            assertFalse(run("id", "-u", USER).isEmpty(), "useradd --system " + USER + " failed");
            userCreated = true;
        }
        uid = Integer.parseInt(run("id", "-u", USER));
        gid = Integer.parseInt(run("id", "-g", USER));
    }

    @AfterAll
    static void removeUser() throws Exception {
        if (userCreated) {
            run("userdel", USER);
        }
    }

    /** Runs a command; its stdout, or "" when it failed. */
    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + List.of(cmd));
        }
        return p.exitValue() == 0 ? out : "";
    }

    private static int attr(Path p, String name) throws IOException {
        return (Integer) Files.getAttribute(p, "unix:" + name) & (name.equals("mode") ? 07777 : -1);
    }

    /** The real, effective, saved and file-system ids of a process ({@code Uid:} or {@code Gid:} of /proc/PID/status). */
    private static List<Integer> ids(long pid, String which) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith(which + ":")) {
                String[] f = line.split("\\s+");
                return List.of(Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]), Integer.parseInt(f[4]));
            }
        }
        throw new AssertionError("no " + which + " line for pid " + pid);
    }

    @Test
    void qemuRunsAsTheConfiguredUserAndFilesComeBack() throws Exception {
        boolean confOurs = false;
        if (Files.exists(CONF)) {
            String first = Files.readAllLines(CONF).stream().findFirst().orElse("");
            if (!first.equals(CONF_MARKER)) {
                fail(CONF + " exists and was not written by this test (its first line is not \"" + CONF_MARKER
                        + "\"): refusing to replace an operator's QEMU configuration; move it away to run this test");
            }
            confOurs = true; // a leftover of an interrupted run of this test
        }
        Map<Path, Boolean> existed = new LinkedHashMap<>();
        for (Path p : MADE) {
            existed.put(p, Files.exists(p));
        }
        String name = "jvirt-systest-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
        long pid = -1;
        try {
            Files.createDirectories(CONF.getParent());
            Files.writeString(CONF, CONF_MARKER + "\nuser = \"" + USER + "\"\ngroup = \"" + USER + "\"\n");
            confOurs = true;

            Files.setAttribute(dir, "unix:mode", 0755); // QEMU's user must reach the image
            Path disk = dir.resolve("disk.img");
            try (RandomAccessFile f = new RandomAccessFile(disk.toFile(), "rw")) {
                f.setLength(1 << 20);
            }
            Files.setAttribute(disk, "unix:uid", 4242);
            Files.setAttribute(disk, "unix:gid", 4343);
            Files.setAttribute(disk, "unix:mode", 0440);
            String xml = FirmwareGuest.xml(name, FirmwareGuest.rawDisk(disk));

            Path statusFile = RUN.resolve(name + ".status.json");
            Path log = LOG.resolve(name + ".log");
            Path domainDir;
            Path monitor;
            try (Connection c = Virt.open(URI)) {
                Domain d = c.defineDomain(xml);
                assertTrue(Files.isRegularFile(ETC.resolve(name + ".xml")), "definition in " + ETC);
                d.start();
                assertEquals(DomainState.RUNNING, d.state().state());
                assertTrue(Files.isRegularFile(statusFile), "status file in " + RUN);
                String status = Files.readString(statusFile);
                pid = Long.parseLong(field(status, "pid"));
                monitor = Path.of(field(status, "monitor"));
                domainDir = monitor.getParent();
                assertEquals(RUN.resolve("d" + d.id() + "-" + name.substring(0, 20)), domainDir, "per-domain run directory");
                assertTrue(Files.isDirectory(CACHE.resolve("capabilities")), "capabilities cache in " + CACHE);

                assertEquals(List.of(uid, uid, uid, uid), ids(pid, "Uid"), "QEMU runs as " + USER);
                assertEquals(List.of(gid, gid, gid, gid), ids(pid, "Gid"), "QEMU runs with " + USER + "'s group");
                assertEquals(uid, attr(disk, "uid"));
                assertEquals(gid, attr(disk, "gid"));
                assertEquals(0640, attr(disk, "mode"), "owner read/write added");
                assertEquals(uid, attr(log, "uid"));
                assertEquals(uid, attr(domainDir, "uid"));
                assertEquals(uid, attr(monitor, "uid"), "QEMU, as " + USER + ", made its monitor socket");
                assertEquals(uid, attr(domainDir.resolve("qemu.pid"), "uid"));
            }

            // a second JVM, a new driver instance, re-attaches from the status file
            Proc.Result st = Proc.run(Duration.ofSeconds(120), Map.of(), List.of(JVIRSH.toString(), "-c", URI, "domstate", name));
            assertEquals(0, st.status(), st.toString());
            assertEquals("running", st.out().strip(), st.toString());
            Proc.Result list = Proc.run(Duration.ofSeconds(120), Map.of(), List.of(JVIRSH.toString(), "-c", URI, "list", "--name"));
            assertTrue(list.out().lines().anyMatch(name::equals), list.toString());

            try (Connection c = Virt.open(URI)) {
                Domain d = c.lookupDomainByName(name);
                assertEquals(DomainState.RUNNING, d.state().state());
                d.destroy();
                assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "QEMU is gone");
                assertEquals(4242, attr(disk, "uid"), "original owner back");
                assertEquals(4343, attr(disk, "gid"));
                assertEquals(0440, attr(disk, "mode"), "original mode back");
                assertEquals(0, attr(log, "uid"), "the log is root's again");
                assertEquals(0, attr(log, "gid"));
                assertFalse(Files.exists(statusFile), "status file removed");
                assertFalse(Files.exists(domainDir), "run directory and sockets removed");
                d.undefine();
                assertFalse(Files.exists(ETC.resolve(name + ".xml")));
            }
        } finally {
            cleanUp(name, pid, confOurs, existed);
        }
    }

    @Test
    void nonRootUserGetsAOneLineConnectionError() throws Exception {
        Path cp = readableClassPath(dir.resolve("cp"));
        String java = ProcessHandle.current().info().command().orElseThrow();
        Proc.Result r = Proc.run(Duration.ofSeconds(120), Map.of(), List.of("runuser", "-u", USER, "--",
                java, "-cp", cp + "/*", "io.jvirt.cli.Jvirsh", "-c", URI, "list"));
        assertEquals(1, r.status(), r.toString());
        assertEquals("", r.out(), r.toString());
        assertEquals(1, r.err().lines().count(), "one line, no stack trace: " + r);
        assertTrue(r.err().startsWith("error: failed to connect to the hypervisor: authentication failed: "
                + "qemu:///system needs root"), r.toString());
        assertTrue(r.err().contains("'" + USER + "' (uid " + uid + ")"), r.toString());
        assertFalse(r.err().contains("Exception"), r.toString());
    }

    /** Copies jvirsh's jars (some live in root's private ~/.m2) where {@value #USER} can read them. */
    private static Path readableClassPath(Path to) throws IOException {
        Files.createDirectories(to);
        Files.setAttribute(to.getParent(), "unix:mode", 0755);
        Files.setAttribute(to, "unix:mode", 0755);
        List<Path> jars = new ArrayList<>();
        for (String e : Files.readString(ROOT.resolve("cli/target/runtime.classpath")).strip().split(":")) {
            jars.add(ownBuild(Path.of(e)));
        }
        try (Stream<Path> s = Files.list(ROOT.resolve("cli/target"))) {
            jars.add(s.filter(p -> p.getFileName().toString().matches("jvirt-cli-.*\\.jar")
                    && !p.getFileName().toString().matches(".*-(sources|tests|javadoc)\\.jar")).findFirst().orElseThrow());
        }
        int i = 0;
        for (Path jar : jars) {
            if (Files.isDirectory(jar)) {
                continue;
            }
            Path copy = to.resolve((i++) + "-" + jar.getFileName());
            Files.copy(jar, copy, StandardCopyOption.REPLACE_EXISTING);
            Files.setAttribute(copy, "unix:mode", 0644);
        }
        return to;
    }

    /**
     * This tree's jar for a project artifact the class path names in the local repository (which
     * other checkouts install into too), when this tree has built it; else {@code jar}.
     */
    private static Path ownBuild(Path jar) {
        Path artifactDir = jar.getParent() == null ? null : jar.getParent().getParent();
        if (artifactDir != null && artifactDir.getParent() != null && artifactDir.getParent().endsWith(Path.of("io/jvirt"))) {
            String module = artifactDir.getFileName().toString().replaceFirst("^jvirt-", "");
            Path own = ROOT.resolve(module).resolve("target").resolve(jar.getFileName());
            if (Files.isRegularFile(own)) {
                return own;
            }
        }
        return jar;
    }

    private static String field(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"?([^\",}]+)").matcher(json);
        assertTrue(m.find(), "no " + key + " in " + json);
        return m.group(1);
    }

    /**
     * Stops QEMU by pid, undefines the domain, and removes what this test made: its config file,
     * the domain's log, and the directories that did not exist before.
     */
    private static void cleanUp(String name, long pid, boolean confOurs, Map<Path, Boolean> existed) throws Exception {
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(h -> {
                h.destroyForcibly();
                h.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> h).join();
            });
        }
        try (Connection c = Virt.open(URI)) {
            Domain d = c.lookupDomainByName(name);
            if (d.isActive()) {
                d.destroy();
            }
            d.undefine();
        } catch (VirtException e) {
            // never defined, or already undefined
        }
        if (confOurs) {
            Files.deleteIfExists(CONF);
        }
        Files.deleteIfExists(LOG.resolve(name + ".log"));
        for (Map.Entry<Path, Boolean> e : existed.entrySet()) {
            if (!e.getValue() && Files.exists(e.getKey())) {
                try (Stream<Path> s = Files.walk(e.getKey())) {
                    for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }
}
