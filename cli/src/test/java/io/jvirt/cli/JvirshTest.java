package io.jvirt.cli;

import io.jvirt.api.Connection;
import io.jvirt.api.Domain;
import io.jvirt.api.DomainInfo;
import io.jvirt.api.DomainState;
import io.jvirt.api.ErrorCode;
import io.jvirt.api.Virt;
import io.jvirt.api.VirtException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every jvirsh command in-process against {@code test:///default}, with exact output shapes. */
@Timeout(60)
class JvirshTest {
    static final String URI = "test:///default";

    @TempDir
    Path dir;
    Connection conn;

    @BeforeEach
    void open() {
        conn = Virt.open(URI);
    }

    @AfterEach
    void close() {
        conn.close();
    }

    static String domainXml(String name) {
        return """
                <domain type='test'>
                  <name>%s</name>
                  <memory unit='KiB'>1048576</memory>
                  <currentMemory unit='KiB'>524288</currentMemory>
                  <vcpu>2</vcpu>
                  <os>
                    <type arch='x86_64'>hvm</type>
                  </os>
                </domain>
                """.formatted(name);
    }

    Path file(String name, String content) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, content);
        return p;
    }

    /** Runs on the shared connection and expects success. */
    Cli.Result ok(String... args) {
        Cli.Result r = Cli.runOn(conn, args);
        assertEquals(0, r.status(), r.toString());
        assertEquals("", r.err(), r.toString());
        return r;
    }

    /** Runs on the shared connection and expects a one-line error. */
    Cli.Result fails(String... args) {
        Cli.Result r = Cli.runOn(conn, args);
        assertEquals(1, r.status(), r.toString());
        assertTrue(r.err().startsWith("error: "), r.toString());
        assertEquals(1, r.err().lines().count(), "one error line expected: " + r);
        return r;
    }

    Domain test() {
        return conn.lookupDomainByName("test");
    }

    // ---- driver extras ----

    @Test
    void qemuMonitorCommandNeedsTheQemuDriver() {
        Cli.Result r = fails("qemu-monitor-command", "test", "{\"execute\":\"query-status\"}");
        assertTrue(r.err().contains("QemuDomain"), r.toString());
        assertTrue(fails("qemu-monitor-command", "test", "--timeout", "0", "{}").err().contains("timeout"));
    }

    // ---- connection ----

    @Test
    void uriPrintsTheConnectionUri() {
        Cli.Result r = Cli.run("-c", URI, "uri");
        assertEquals(0, r.status(), r.toString());
        assertEquals(URI + "\n\n", r.out());
    }

    @Test
    void quietDropsTheTrailingEmptyLine() {
        assertEquals(URI + "\n", Cli.run("-q", "-c", URI, "uri").out());
    }

    @Test
    void defaultUriComesFromTheEnvironment() {
        Cli.Result r = Cli.run(Map.of("JVIRT_DEFAULT_URI", URI), Virt::open, "uri");
        assertEquals(URI + "\n\n", r.out(), r.toString());
    }

    @Test
    void defaultUriFallsBackToTestWhenQemuCannotConnect() {
        List<String> tried = new ArrayList<>();
        Cli.Result r = Cli.run(Map.of(), uri -> {
            tried.add(uri);
            if (uri.startsWith("qemu:")) {
                throw new VirtException(ErrorCode.NO_CONNECT, "no QEMU here");
            }
            return Virt.open(uri);
        }, "uri");
        assertEquals(List.of("qemu:///session", URI), tried);
        assertEquals(URI + "\n\n", r.out(), r.toString());
    }

    @Test
    void defaultUriIsQemuSessionWhenItOpens() {
        List<String> tried = new ArrayList<>();
        Cli.run(Map.of(), uri -> {
            tried.add(uri);
            return Cli.unclosable(conn);
        }, "uri");
        assertEquals(List.of("qemu:///session"), tried);
    }

    @Test
    void otherQemuFailuresAreReportedNotHidden() {
        Cli.Result r = Cli.run(Map.of(), uri -> {
            throw new VirtException(ErrorCode.SYSTEM_ERROR, "cannot create /run/user/0/jvirt: Permission denied");
        }, "uri");
        assertEquals(1, r.status());
        assertEquals("error: failed to connect to the hypervisor: cannot create /run/user/0/jvirt: Permission denied\n",
                r.err());
    }

    @Test
    void unknownSchemeNamesTheDriversFound() {
        Cli.Result r = Cli.run("-c", "nope:///x", "list");
        assertEquals(1, r.status(), r.toString());
        assertEquals("", r.out());
        assertEquals(1, r.err().lines().count(), r.toString());
        assertTrue(r.err().startsWith("error: failed to connect to the hypervisor: "), r.toString());
        assertTrue(r.err().contains("nope:///x"), r.toString());
        assertTrue(r.err().contains("test"), "should name the test driver: " + r);
    }

    @Test
    void versionLines() {
        Cli.Result r = ok("version");
        String lib = Virt.libraryVersion().toString();
        assertEquals("Compiled against library: jvirt " + lib + "\n"
                + "Using library: jvirt " + lib + "\n"
                + "Using API: " + conn.driverName() + " " + lib + "\n"
                + "Running hypervisor: " + conn.driverName() + " " + conn.version() + "\n\n", r.out());
    }

    @Test
    void capabilitiesXmlValidatesWithLibvirtSchema() throws Exception {
        Cli.Result r = ok("capabilities");
        assertTrue(r.out().startsWith("<capabilities>\n"), r.out());
        assertTrue(r.out().contains("<arch>" + conn.capabilities().host().arch() + "</arch>"), r.out());
        Proc.assertValidates(r.out(), "capability");
    }

    @Test
    void capabilitiesJson() {
        Cli.Result r = ok("capabilities", "--json");
        assertEquals(Json.write(ConnectionCommands.CapabilitiesCmd.toJson(conn.capabilities())) + "\n\n", r.out());
        assertTrue(r.out().startsWith("{\n  \"host\": {\n    \"arch\": "), r.out());
    }

    // ---- list ----

    @Test
    void listShowsTheRunningTestDomain() {
        int id = test().id();
        assertTrue(id >= 0 && id < 10, "test domain id " + id);
        Cli.Result r = ok("list");
        assertEquals(" Id   Name   State\n"
                + "----------------------\n"
                + " " + id + "    test   running\n\n", r.out());
        assertEquals(r.out(), ok("list", "--all").out());
    }

    @Test
    void listAllAddsInactiveDomainsWithDashIds() throws Exception {
        conn.defineDomain(domainXml("zeta"));
        conn.defineDomain(domainXml("alpha-long-name"));
        int id = test().id();
        assertEquals(" Id   Name              State\n"
                + "----------------------------------\n"
                + " " + id + "    test              running\n"
                + " -    alpha-long-name   shut off\n"
                + " -    zeta              shut off\n\n", ok("list", "--all").out());
        assertEquals(" Id   Name              State\n"
                + "----------------------------------\n"
                + " -    alpha-long-name   shut off\n"
                + " -    zeta              shut off\n\n", ok("list", "--inactive").out());
        assertEquals("test\nalpha-long-name\nzeta\n\n", ok("list", "--all", "--name").out());
        assertEquals("test\n\n", ok("list", "--name").out());
        assertEquals(test().uuid() + "\n\n", ok("list", "--uuid").out());
    }

    @Test
    void listJson() {
        Domain t = test();
        assertEquals("[\n  {\n    \"id\": " + t.id() + ",\n    \"name\": \"test\",\n    \"uuid\": \"" + t.uuid()
                + "\",\n    \"state\": \"running\",\n    \"reason\": \"" + t.state().reason().label()
                + "\",\n    \"persistent\": " + t.isPersistent() + "\n  }\n]\n\n", ok("list", "--json").out());
    }

    // ---- define / undefine / create ----

    @Test
    void defineStartShutdownUndefine() throws Exception {
        Path f = file("vm1.xml", domainXml("vm1"));
        assertEquals("Domain 'vm1' defined from " + f + "\n\n", ok("define", f.toString()).out());
        Domain vm = conn.lookupDomainByName("vm1");
        assertFalse(vm.isActive());
        assertTrue(vm.isPersistent());
        assertEquals("-\n\n", ok("domid", "vm1").out());
        assertEquals("shut off\n\n", ok("domstate", "vm1").out());

        assertEquals("Domain 'vm1' started\n\n", ok("start", "vm1").out());
        assertEquals(DomainState.RUNNING, vm.state().state());
        assertEquals(vm.id() + "\n\n", ok("domid", "vm1").out());

        assertEquals("Domain 'vm1' suspended\n\n", ok("suspend", "vm1").out());
        assertEquals(DomainState.PAUSED, vm.state().state());
        assertEquals("paused\n\n", ok("domstate", "vm1").out());
        assertEquals("paused (user)\n\n", ok("domstate", "vm1", "--reason").out());
        assertEquals("Domain 'vm1' resumed\n\n", ok("resume", "vm1").out());
        assertEquals(DomainState.RUNNING, vm.state().state());

        assertEquals("Domain 'vm1' is being rebooted\n\n", ok("reboot", "vm1").out());
        assertTrue(vm.isActive());

        assertEquals("Domain 'vm1' is being shutdown\n\n", ok("shutdown", "vm1").out());
        assertEquals("Domain 'vm1' has been undefined\n\n", ok("undefine", "vm1").out());
        assertThrows(VirtException.class, () -> conn.lookupDomainByName("vm1").state());
    }

    @Test
    void destroyStopsAndLeavesPersistentDefinition() {
        int id = test().id();
        assertEquals("Domain '" + id + "' destroyed\n\n", ok("destroy", Integer.toString(id)).out());
        assertEquals(DomainState.SHUTOFF, test().state().state());
        assertEquals("shut off (destroyed)\n\n", ok("domstate", "test", "--reason").out());
        fails("destroy", "test");
    }

    @Test
    void createStartsATransientDomain() throws Exception {
        Path f = file("vm2.xml", domainXml("vm2"));
        assertEquals("Domain 'vm2' created from " + f + "\n\n", ok("create", f.toString()).out());
        Domain vm = conn.lookupDomainByName("vm2");
        assertTrue(vm.isActive());
        assertFalse(vm.isPersistent());
        assertEquals("Domain 'vm2' destroyed\n\n", ok("destroy", "vm2").out());
        assertThrows(VirtException.class, () -> conn.lookupDomainByName("vm2").state());
    }

    @Test
    void lifecycleErrorsNameTheOperationAndDomain() throws Exception {
        conn.defineDomain(domainXml("vm3"));
        Cli.Result r = fails("suspend", "vm3");
        assertTrue(r.err().startsWith("error: Failed to suspend domain 'vm3': "), r.toString());
        assertTrue(fails("resume", "vm3").err().startsWith("error: Failed to resume domain 'vm3': "));
        assertTrue(fails("start", "test").err().startsWith("error: Failed to start domain 'test': "));
        assertEquals(DomainState.SHUTOFF, conn.lookupDomainByName("vm3").state().state());
    }

    @Test
    void shutdownModes() {
        assertEquals("Domain 'test' is being shutdown\n\n", ok("shutdown", "test", "--mode", "acpi").out());
        Cli.Result bad = fails("reboot", "test", "--mode", "bogus");
        assertEquals("error: Unknown mode bogus value, expecting 'acpi', 'agent', 'initctl', 'signal' or 'paravirt'\n",
                bad.err());
        assertTrue(fails("shutdown", "test", "--mode", "signal").err().contains("not supported"));
    }

    @Test
    void malformedDefinitionsAreRejectedOnOneLineAndNothingIsDefined() throws Exception {
        Path secret = file("secret.txt", "TOP-SECRET-CONTENT");
        List<String> before = names();
        Map<String, String> cases = Map.of(
                "broken.xml", "<domain type='test'><name>broken</name><memory>1024",
                "xxe.xml", "<?xml version='1.0'?>\n<!DOCTYPE domain [<!ENTITY x SYSTEM 'file://" + secret + "'>]>\n"
                        + domainXml("&x;"),
                "slash.xml", domainXml("a/b"));
        for (var c : cases.entrySet()) {
            Path f = file(c.getKey(), c.getValue());
            Cli.Result r = fails("define", f.toString());
            assertTrue(r.err().startsWith("error: Failed to define domain from " + f + ": "), r.toString());
            assertTrue(r.err().length() > ("error: Failed to define domain from " + f + ": ").length() + 5, r.toString());
            assertFalse(r.err().contains("TOP-SECRET"), r.toString());
            assertEquals("", r.out());
        }
        assertEquals(before, names());
    }

    @Test
    void hugeDocumentIsRefusedWithItsSize() throws Exception {
        Path f = dir.resolve("huge.xml");
        try (var w = Files.newBufferedWriter(f)) {
            w.write("<domain type='test'><name>huge</name><description>");
            String chunk = "x".repeat(1 << 20);
            for (int i = 0; i < 50; i++) {
                w.write(chunk);
            }
            w.write("</description></domain>");
        }
        List<String> before = names();
        Cli.Result r = fails("define", f.toString());
        assertTrue(r.err().contains("larger than"), r.toString());
        assertEquals(before, names());
    }

    @Test
    void missingFileIsNamed() {
        Cli.Result r = fails("define", dir.resolve("none.xml").toString());
        assertEquals("error: Failed to open file '" + dir.resolve("none.xml") + "': No such file or directory\n", r.err());
    }

    List<String> names() {
        return conn.listDomains().stream().map(Domain::name).sorted().toList();
    }

    // ---- queries ----

    @Test
    void dominfoTable() {
        Domain t = test();
        DomainInfo info = t.info();
        StringBuilder expected = new StringBuilder()
                .append("Id:             ").append(t.id()).append('\n')
                .append("Name:           test\n")
                .append("UUID:           ").append(t.uuid()).append('\n')
                .append("OS Type:        hvm\n")
                .append("State:          running\n")
                .append("CPU(s):         ").append(info.vcpus()).append('\n');
        if (info.cpuTimeNanos() != 0) {
            expected.append("CPU time:       ")
                    .append(String.format(Locale.ROOT, "%.1fs", info.cpuTimeNanos() / 1e9)).append('\n');
        }
        expected.append("Max memory:     ").append(info.maxMemoryKiB()).append(" KiB\n")
                .append("Used memory:    ").append(info.memoryKiB()).append(" KiB\n")
                .append("Persistent:     ").append(t.isPersistent() ? "yes" : "no").append('\n')
                .append("Autostart:      disable\n")
                .append("Managed save:   ");
        String out = ok("dominfo", "test").out();
        if (info.cpuTimeNanos() != 0) {
            // CPU time moves between our read and the command's: compare the rest
            out = out.replaceFirst("CPU time: +[0-9.]+s\n", "");
            String exp = expected.toString().replaceFirst("CPU time: +[0-9.]+s\n", "");
            assertTrue(out.startsWith(exp), out);
        } else {
            assertTrue(out.startsWith(expected.toString()), out);
        }
        assertTrue(out.matches("(?s).*Managed save:   (yes|no|unknown)\n\n"), out);
    }

    @Test
    void dominfoJson() {
        String out = ok("dominfo", "test", "--json").out();
        assertTrue(out.startsWith("{\n  \"id\": " + test().id() + ",\n  \"name\": \"test\",\n  \"uuid\": \""
                + test().uuid() + "\",\n  \"osType\": \"hvm\",\n  \"state\": \"running\",\n"), out);
        assertTrue(out.endsWith("}\n\n"), out);
    }

    @Test
    void domstateReasonAndJson() {
        String reason = test().state().reason().label();
        assertEquals("running\n\n", ok("domstate", "test").out());
        assertEquals("running (" + reason + ")\n\n", ok("domstate", "test", "--reason").out());
        assertEquals("running (booted)\n\n", ok("domstate", "test", "--reason").out());
        assertEquals("{\n  \"state\": \"running\",\n  \"reason\": \"booted\"\n}\n\n",
                ok("domstate", "test", "--json").out());
    }

    @Test
    void domainArgumentIsNameIdOrUuid() {
        Domain t = test();
        String id = Integer.toString(t.id());
        String uuid = t.uuid().toString();
        assertEquals(id + "\n\n", ok("domid", "test").out());
        assertEquals(id + "\n\n", ok("domid", uuid).out());
        assertEquals(uuid + "\n\n", ok("domuuid", "test").out());
        assertEquals(uuid + "\n\n", ok("domuuid", id).out());
        assertEquals("test\n\n", ok("domname", id).out());
        assertEquals("test\n\n", ok("domname", uuid).out());
        assertEquals("test\n\n", ok("domname", uuid.replace("-", "")).out());
    }

    @Test
    void unknownDomainIsOneErrorLine() {
        Cli.Result r = fails("dominfo", "nosuch");
        assertTrue(r.err().startsWith("error: failed to get domain 'nosuch': "), r.toString());
        assertEquals("", r.out());
        assertTrue(fails("domstate", "4242").err().startsWith("error: failed to get domain '4242': "));
    }

    @Test
    void dumpxmlValidatesAndMatchesTheApi() throws Exception {
        String out = ok("dumpxml", "test").out();
        String xml = test().xml();
        assertEquals(xml.endsWith("\n") ? xml + "\n" : xml + "\n\n", out);
        assertTrue(out.lines().findFirst().orElseThrow().contains(" id="), out);
        Proc.assertValidates(out, "domain");
        String inactive = ok("dumpxml", "--inactive", "test").out();
        assertFalse(inactive.lines().findFirst().orElseThrow().contains(" id="), inactive);
        Proc.assertValidates(inactive, "domain");
    }

    @Test
    void autostartMarksAndUnmarks() throws Exception {
        conn.defineDomain(domainXml("vm4"));
        assertEquals("Domain 'vm4' marked as autostarted\n\n", ok("autostart", "vm4").out());
        assertTrue(conn.lookupDomainByName("vm4").autostart());
        assertTrue(ok("dominfo", "vm4").out().contains("\nAutostart:      enable\n"));
        assertEquals("Domain 'vm4' unmarked as autostarted\n\n", ok("autostart", "--disable", "vm4").out());
        assertFalse(conn.lookupDomainByName("vm4").autostart());
    }

    // ---- jobs ----

    @Test
    void domjobinfoWithoutJob() {
        assertEquals("Job type:         None        \n\n", ok("domjobinfo", "test").out());
        String json = ok("domjobinfo", "test", "--json").out();
        assertTrue(json.startsWith("{\n  \"type\": \"None\",\n  \"operation\": \"\",\n"), json);
    }

    @Test
    void domjobabortWithoutJobFails() {
        Cli.Result r = fails("domjobabort", "test");
        assertTrue(r.err().startsWith("error: Failed to abort the job of domain 'test': "), r.toString());
        assertEquals(DomainState.RUNNING, test().state().state());
    }

    // ---- events ----

    @Test
    void eventPrintsOneLifecycleEvent() throws Exception {
        Domain t = test();
        Cli.Result[] result = new Cli.Result[1];
        Thread th = Thread.ofVirtual().start(() -> result[0] = Cli.runOn(conn, "event", "--timeout", "20"));
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (th.isAlive() && System.nanoTime() < deadline) {
            t.suspend();
            t.resume();
            th.join(100);
        }
        th.join(25_000);
        Cli.Result r = result[0];
        assertEquals(0, r.status(), r.toString());
        assertTrue(r.out().matches("event 'lifecycle' for domain 'test': (Suspended|Resumed) \\S.*\nevents received: 1\n\n"),
                r.toString());
    }

    @Test
    void eventLoopTimesOut() {
        Cli.Result r = ok("event", "--loop", "--all", "--timeout", "1");
        assertEquals("event loop timed out\nevents received: 0\n\n", r.out());
    }

    @Test
    void eventListAndBadOptions() {
        assertEquals(String.join("\n", EventCommand.NAMES) + "\n\n", ok("event", "--list").out());
        assertEquals("error: unknown event type nope\n", fails("event", "--event", "nope").err());
    }

    // ---- help and usage ----

    @Test
    void helpListsEveryCommand() {
        Cli.Result r = Cli.run("help");
        assertEquals(0, r.status(), r.toString());
        for (String cmd : List.of("uri", "version", "capabilities", "list", "define", "undefine", "create", "start",
                "shutdown", "destroy", "reboot", "suspend", "resume", "dominfo", "domstate", "dumpxml", "domid",
                "domuuid", "domname", "domjobinfo", "domjobabort", "autostart", "event", "qemu-agent-command", "domtime",
                "domfsfreeze", "domfsthaw", "domifaddr", "guestinfo", "set-user-password", "help")) {
            assertTrue(r.out().contains("\n  " + cmd + " "), cmd + " missing from:\n" + r.out());
        }
        Cli.Result list = Cli.run("help", "list");
        assertTrue(list.out().contains("--all"), list.toString());
    }

    @Test
    void usageErrorsAreOneLine() {
        Cli.Result r = Cli.run("-c", URI, "list", "--bogus");
        assertEquals(1, r.status());
        assertEquals(1, r.err().lines().count(), r.toString());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("--bogus"), r.toString());
        Cli.Result unknown = Cli.run("frobnicate");
        assertEquals(1, unknown.status());
        assertEquals("error: unknown command: 'frobnicate' (try 'jvirsh help')\n", unknown.err());
        Cli.Result cmdHelp = Cli.run("list", "--help");
        assertEquals(0, cmdHelp.status(), cmdHelp.toString());
        assertTrue(cmdHelp.out().startsWith("Usage: jvirsh list "), cmdHelp.toString());
        Cli.Result missing = Cli.run("-c", URI, "start");
        assertEquals(1, missing.status());
        assertTrue(missing.err().startsWith("error: Missing required parameter: 'DOMAIN'"), missing.toString());
    }
}
