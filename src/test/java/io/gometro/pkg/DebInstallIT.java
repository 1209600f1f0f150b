package io.gometro.pkg;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.*;

/**
 * Installs the built .deb on this machine with apt-get, as root, then purges it and
 * puts back what it found. Chosen over a debootstrap root: apt-get resolves the real
 * Depends against the real archive state, setcap/getcap act on a real file system,
 * and a supervisord and namespaces need no chroot plumbing; the test refuses to run
 * if go-metro is already installed, so it never touches a real installation.
 *
 * Tests marked DAEMON need the real io.gometro.app.Main (issue 2) and fail until it lands.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebInstallIT {
    static final String PREFIX = "/opt/go-metro";
    static final String JAVA = PREFIX + "/runtime/bin/java";
    static final Path AGENT_CONF = Paths.get("/etc/dd-agent/supervisor.conf");
    static final Path CFG = Paths.get("/etc/dd-agent/conf.d/go-metro.yaml");
    static final Path LOG = Paths.get("/var/log/datadog/go-metro.log");


    Path tmp;
    boolean hadDdAgentUser, hadDdAgentGroup, hadEtcDdAgent, hadLogDir, hadAgent7Dir;
    String originalAgentConf;
    /** What the Agent's package ships as supervisor.conf now: removal gives its go-metro section back. */
    String agentConf;
    HttpPeer peer;
    DatagramSocket statsd;

    @BeforeAll
    void install() throws Exception {
        assumeTrue(Sh.isRoot(), "installing packages needs root");
        assertNotEquals(0, Sh.run(10, "dpkg", "-s", "go-metro").exit(),
                "go-metro is already installed on this machine; this test installs and purges it, so it refuses to run");
        hadDdAgentUser = Sh.run(5, "getent", "passwd", "dd-agent").exit() == 0;
        hadDdAgentGroup = Sh.run(5, "getent", "group", "dd-agent").exit() == 0;
        hadEtcDdAgent = Files.exists(Paths.get("/etc/dd-agent"));
        hadLogDir = Files.exists(LOG.getParent());
        hadAgent7Dir = Files.exists(AGENT7_CFG.getParent());
        assertFalse(Files.exists(AGENT7_CFG), "an Agent 7 go-metro config is here; not touching it");
        assertFalse(Files.exists(AGENT_CONF), "an Agent v5 is installed here; not touching it");
        assertNotEquals(0, Sh.run(10, "dpkg", "-s", "datadog-agent").exit(), "a datadog-agent package is installed here; not touching it");
        tmp = Files.createTempDirectory("gm-deb-it");
        Sh.run(5, "chmod", "755", tmp.toString());

        // Agent v5's layout: /etc/dd-agent/supervisor.conf with its go-metro section pointing at
        // the Go binary, shipped as a conffile by a datadog-agent package as the real one does
        // (so an Agent upgrade can replace it); runtime files in a temp dir.
        Files.createDirectories(CFG.getParent());
        originalAgentConf = """
                [unix_http_server]
                file=%1$s/datadog-supervisor.sock

                [rpcinterface:supervisor]
                supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

                [supervisorctl]
                serverurl=unix://%1$s/datadog-supervisor.sock

                [supervisord]
                logfile=%1$s/supervisord.log
                pidfile=%1$s/supervisord.pid
                childlogdir=%1$s
                nodaemon=false

                [program:go-metro]
                command=/opt/datadog-agent/bin/go-metro -cfg="/etc/dd-agent/conf.d/go-metro.yaml"
                stdout_logfile=NONE
                stderr_logfile=NONE
                priority=999
                startsecs=2
                startretries=2
                user=dd-agent

                [group:datadog-agent]
                programs=go-metro
                """.formatted(tmp);
        agentConf = originalAgentConf;
        Sh.run(120, "dpkg", "-i", agentDeb("1:5.32.0-it", originalAgentConf).toString()).ok("dpkg -i datadog-agent (stand-in)");
        assertEquals(originalAgentConf, Files.readString(AGENT_CONF));

        Path deb = Sh.onlyFile("go-metro_*_amd64.deb");
        Sh.run(600, "apt-get", "install", "-y", "--no-install-recommends", deb.toString()).ok("apt-get install " + deb);
    }

    @Test @Order(1)
    void capabilityIsOnTheRuntimesJavaAndItStillLoads() {
        String caps = Sh.run(10, "getcap", JAVA).ok("getcap").out();
        assertTrue(caps.contains("cap_net_raw=ep"), caps);
        // the trap: a capable java runs in secure-execution mode and ignores $ORIGIN
        Sh.Result r = Sh.run(60, "runuser", "-u", "dd-agent", "--", PREFIX + "/bin/go-metro", "-version");
        assertEquals(0, r.exit(), r.out());
        assertFalse(r.out().contains("libjli.so"), r.out());
        Sh.Result java = Sh.run(60, "runuser", "-u", "dd-agent", "--", JAVA, "-version");
        assertEquals(0, java.exit(), java.out());
        assertFalse(Files.exists(Paths.get("/etc/ld.so.conf.d/go-metro.conf")));
    }

    @Test @Order(2)
    void userLogDirSupervisorAndLogrotateAreInPlace() throws Exception {
        String pw = Sh.run(5, "getent", "passwd", "dd-agent").ok("getent").out().trim();
        String[] f = pw.split(":");
        if (!hadDdAgentUser) {
            assertEquals("/opt/datadog-agent", f[5], pw);
            assertTrue(f[6].endsWith("nologin") || f[6].endsWith("false"), pw);
            assertFalse(Files.exists(Paths.get("/opt/datadog-agent")), "no home is created");
        }
        assertEquals("dd-agent", Sh.run(5, "stat", "-c", "%U", LOG.getParent().toString()).out().trim());
        String conf = Files.readString(AGENT_CONF);
        assertTrue(conf.contains("command=/opt/go-metro/bin/go-metro -cfg=\"/etc/dd-agent/conf.d/go-metro.yaml\""), conf);
        assertFalse(conf.contains("/opt/datadog-agent/bin/go-metro"), conf);
        assertEquals(1, conf.split("\\[program:go-metro]", -1).length - 1, "one section only");
        assertEquals(originalAgentConf, Files.readString(Paths.get(AGENT_CONF + ".go-metro-orig")), "backup of the original");
        assertFalse(Files.exists(Paths.get("/etc/supervisor/conf.d/go-metro.conf")), "never both for one supervisord");
        // idempotent: configure twice changes nothing
        Sh.run(60, PREFIX + "/lib/pkg/go-metro-maint", "configure").ok("maint configure (again)");
        assertEquals(conf, Files.readString(AGENT_CONF));
        assertEquals(originalAgentConf, Files.readString(Paths.get(AGENT_CONF + ".go-metro-orig")));
        String lr = Files.readString(Paths.get("/etc/logrotate.d/go-metro"));
        for (String k : List.of("rotate 5", "compress", "missingok", "notifempty", "su dd-agent dd-agent", "copytruncate", "size ")) {
            assertTrue(lr.contains(k), k + " in\n" + lr);
        }
        Sh.run(30, "logrotate", "-d", "/etc/logrotate.d/go-metro").ok("logrotate -d (syntax)");
    }

    /** DAEMON: needs the real Main (capture, DogStatsD, log). */
    @Test @Order(3)
    void underAgentSupervisordItRunsAsDdAgentCapturesAndReports() throws Exception {
        startTraffic();
        writeConfig(CFG, "debug");
        Sh.run(30, "supervisord", "-c", AGENT_CONF.toString()).ok("supervisord");
        long pid = waitRunning(20);
        assertEquals("dd-agent", Sh.run(5, "ps", "-o", "user=", "-p", Long.toString(pid)).out().trim());
        // issue 3: the documented command line, not the JVM's (supervisord strips the quotes)
        String args = Sh.run(5, "ps", "-o", "args=", "-p", Long.toString(pid)).out().trim();
        assertEquals("go-metro -cfg=" + CFG, args, "ps shows: " + args);
        assertEquals("go-metro", Sh.run(5, "ps", "-o", "comm=", "-p", Long.toString(pid)).out().trim());
        assertTrue(Sh.run(5, "pgrep", "-x", "go-metro").out().contains(Long.toString(pid)));
        assertTrue(Sh.run(5, "pgrep", "-f", "^go-metro -cfg=" + CFG + "$").out().contains(Long.toString(pid)));
        List<String> got = receive(45);
        assertTrue(got.stream().anyMatch(d -> d.contains("system.net.tcp.rtt") && d.contains("dst:")), "datagrams: " + got);
        assertTrue(Files.size(LOG) > 0, "the log gets lines");
    }

    /** DAEMON: rotation with copytruncate against the real daemon writing in append mode. */
    @Test @Order(4)
    void logrotateRotatesAndLaterLinesLandInTheNewFile() throws Exception {
        waitRunning(20);
        long before = Files.size(LOG);
        assertTrue(before > 0, "the daemon has logged");
        Path state = tmp.resolve("logrotate.state");
        Sh.run(60, "logrotate", "-f", "-s", state.toString(), "/etc/logrotate.d/go-metro").ok("logrotate -f");
        Path rotated = Paths.get(LOG + ".1.gz");
        assertTrue(Files.exists(rotated), "rotated to " + rotated);
        String old = Sh.run(30, "zcat", rotated.toString()).ok("zcat").out();
        // wait for the next flush's lines in the new file
        long deadline = System.nanoTime() + 45_000_000_000L;
        while (System.nanoTime() < deadline && lines(Files.readString(LOG)).isEmpty()) Thread.sleep(500);
        byte[] now = Files.readAllBytes(LOG);
        assertTrue(now.length > 0, "later lines land in the new file");
        for (byte b : now) assertNotEquals(0, b, "no NUL bytes after copytruncate (the log must be opened in append mode)");
        assertFalse(old.indexOf('\0') >= 0, "no NULs in the rotated file");
        // none lost: every line, old and new, is a whole log line
        for (String l : concat(lines(old), lines(new String(now, StandardCharsets.UTF_8)))) {
            assertTrue(l.matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d \\S+ \\| [A-Z]+ \\| go-metro \\| .*"), "a torn or foreign line: " + l);
        }
    }

    @Test @Order(5)
    void upgradeKeepsTheEditedConfigAndTheCapability() throws Exception {
        String edited = Files.exists(CFG) ? Files.readString(CFG) + "# edited by the operator\n" : "# edited by the operator\n";
        Files.writeString(CFG, edited);
        Path example = Paths.get(CFG + ".example");
        String exampleEdited = Files.readString(example) + "# operator note\n";
        Files.writeString(example, exampleEdited);
        Path newer = bumpedDeb();
        long before = waitRunning(20);
        Sh.run(600, "apt-get", "install", "-y", "-o", "Dpkg::Options::=--force-confold", newer.toString()).ok("apt-get install (upgrade) " + newer);
        assertTrue(Sh.run(10, "dpkg-query", "-W", "-f", "${Version}", "go-metro").out().endsWith("+it1"));
        // The daemon was restarted into the new files: a new process, and none of its mappings is a
        // file the upgrade replaced (a daemon left running would still map the old, deleted libjvm.so).
        long after = waitRunning(30);
        assertNotEquals(before, after, "supervisord restarted go-metro on the upgrade");
        String maps = Files.readString(Paths.get("/proc/" + after + "/maps"));
        assertTrue(maps.contains(PREFIX + "/runtime/lib/server/libjvm.so"), "it runs the installed runtime");
        assertFalse(maps.lines().anyMatch(l -> l.contains(PREFIX) && l.endsWith("(deleted)")),
                "it maps no replaced file:\n" + maps.lines().filter(l -> l.endsWith("(deleted)")).toList());
        assertEquals(edited, Files.readString(CFG), "the user's go-metro.yaml is kept");
        assertEquals(exampleEdited, Files.readString(example), "a changed conffile is kept");
        assertTrue(Sh.run(10, "getcap", JAVA).out().contains("cap_net_raw=ep"), "capability re-applied after the file was replaced");
        assertTrue(Files.readString(AGENT_CONF).contains("command=/opt/go-metro/bin/go-metro"));
        assertEquals(originalAgentConf, Files.readString(Paths.get(AGENT_CONF + ".go-metro-orig")), "backup still the original");
    }

    /** DAEMON: the unprivileged daemon with and without the file capability. */
    @Test @Order(6)
    void unprivilegedCapturesOnlyWithTheCapability() throws Exception {
        stopSupervisord();
        startTraffic();
        Path cfg = tmp.resolve("stdout.yaml");
        writeConfig(cfg, "info");
        Files.writeString(cfg, Files.readString(cfg).replace("log_to_file: true", "log_to_file: false"));
        Sh.run(5, "chmod", "644", cfg.toString());
        Process p = new ProcessBuilder("runuser", "-u", "dd-agent", "--", PREFIX + "/bin/go-metro", "-cfg=" + cfg)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("unpriv.out").toFile()).start();
        try {
            List<String> got = receive(45);
            assertTrue(got.stream().anyMatch(d -> d.contains("system.net.tcp.rtt")),
                    "with cap_net_raw+ep on " + JAVA + " it captures; got " + got + "\n" + Files.readString(tmp.resolve("unpriv.out")));
        } finally {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
            p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
        }
        Sh.run(10, "setcap", "-r", JAVA).ok("setcap -r");
        try {
            Sh.Result r = Sh.run(60, "runuser", "-u", "dd-agent", "--", PREFIX + "/bin/go-metro", "-cfg=" + cfg);
            assertEquals(1, r.exit(), r.out());
            assertTrue(r.out().contains("CAP_NET_RAW"), r.out());
        } finally {
            // the README's one command
            Sh.run(10, "setcap", "cap_net_raw+ep", JAVA).ok("setcap (README command)");
        }
    }

    /**
     * An Agent v5 upgrade whose supervisor.conf the admin takes as shipped (dpkg's
     * --force-confnew: "install the package maintainer's version") drops go-metro's command=.
     * The file trigger puts it back and the Agent's supervisord runs go-metro again.
     */
    @Test @Order(7)
    void anAgentUpgradeThatReplacesSupervisorConfGetsTheEntryBack() throws Exception {
        stopSupervisord();
        String shipped = originalAgentConf + "\n; shipped by Agent 5.32.1\n";
        Sh.Result up = Sh.run(300, "dpkg", "-i", "--force-confnew", agentDeb("1:5.32.1-it", shipped).toString()).ok("dpkg -i (Agent upgrade)");
        assertTrue(up.out().contains("go-metro"), "the trigger ran go-metro's postinst:\n" + up.out());
        String now = Files.readString(AGENT_CONF);
        assertTrue(now.contains("; shipped by Agent 5.32.1"), "the Agent's new file is in place:\n" + now);
        assertTrue(now.contains("command=/opt/go-metro/bin/go-metro -cfg=\"/etc/dd-agent/conf.d/go-metro.yaml\""),
                "go-metro's entry is back:\n" + now + "\ndpkg said:\n" + up.out());
        assertFalse(now.contains("command=/opt/datadog-agent/bin/go-metro"), now);
        assertEquals(shipped, Files.readString(Paths.get(AGENT_CONF + ".go-metro-orig")),
                "the Agent's new file is the original that removal gives back");
        agentConf = shipped;
        // The Agent's supervisord, started on the new file as the Agent's postinst restarts it.
        Sh.run(30, "supervisord", "-c", AGENT_CONF.toString()).ok("supervisord");
        long pid = waitRunning(20);
        assertEquals("go-metro -cfg=" + CFG, Sh.run(5, "ps", "-o", "args=", "-p", Long.toString(pid)).out().trim());
        stopSupervisord();
        // Triggered again with the entry in place (the Agent upgraded with its file kept), nothing changes.
        Sh.run(60, PREFIX + "/lib/pkg/go-metro-maint", "agent-changed").ok("go-metro-maint agent-changed");
        assertEquals(now, Files.readString(AGENT_CONF));

        // A step that must succeed fails (here awk, broken): the script fails, and the Agent's
        // file is left exactly as it was, never half-written.
        Files.writeString(AGENT_CONF, shipped);
        Path shim = tmp.resolve("broken-awk");
        Files.createDirectories(shim);
        Files.writeString(shim.resolve("awk"), "#!/bin/sh\necho 'awk: broken on purpose' >&2\nexit 2\n");
        Sh.run(5, "chmod", "755", shim.resolve("awk").toString()).ok("chmod");
        Sh.Result broken = Sh.sh(60, "PATH=" + shim + ":$PATH " + PREFIX + "/lib/pkg/go-metro-maint agent-changed");
        assertEquals(1, broken.exit(), broken.out());
        assertTrue(broken.out().contains("ERROR: could not edit " + AGENT_CONF), broken.out());
        assertEquals(shipped, Files.readString(AGENT_CONF), "the file is untouched when the edit fails");
        Sh.run(60, PREFIX + "/lib/pkg/go-metro-maint", "agent-changed").ok("go-metro-maint agent-changed, awk back");
        assertEquals(now, Files.readString(AGENT_CONF));
    }

    /**
     * The admin purges Agent v5 and keeps go-metro: dpkg removes supervisor.conf, the file trigger
     * runs go-metro's postinst, and go-metro is handed to the distribution's supervisord (its
     * entry is written there). When the Agent comes back, the entry moves back to its supervisor.conf and the
     * distribution's goes: one supervisord, one go-metro.
     */
    @Test @Order(8)
    void anAgentPurgeHandsGoMetroToTheDistributionSupervisord() throws Exception {
        stopSupervisord();
        Sh.Result purge = Sh.run(300, "dpkg", "--purge", "datadog-agent").ok("dpkg --purge datadog-agent");
        assertFalse(Files.exists(AGENT_CONF), "purged with the Agent:\n" + purge.out());
        Path distro = Paths.get("/etc/supervisor/conf.d/go-metro.conf");
        assertTrue(Files.exists(distro), "the trigger handed go-metro to the distribution's supervisord; dpkg said:\n" + purge.out());
        assertTrue(Files.readString(distro).contains("command=/opt/go-metro/bin/go-metro"), Files.readString(distro));
        assertFalse(Files.exists(Paths.get(AGENT_CONF + ".go-metro-orig")), "no stale backup of a file that is gone");
        assertEquals(Files.readString(CFG), Files.readString(AGENT7_CFG), "the v5 config, copied where go-metro now reads it");

        // The distribution's supervisord, started as its own package starts it, runs go-metro from
        // that entry: as dd-agent, on the copied config, capturing and reporting.
        drain();
        Sh.run(30, "supervisord", "-c", DISTRO_SUPERVISORD).ok("supervisord (the distribution's)");
        try {
            long pid = waitRunning(DISTRO_SUPERVISORD, "go-metro", Paths.get("/var/log/supervisor/supervisord.log"), 20);
            assertEquals("dd-agent", Sh.run(5, "ps", "-o", "user=", "-p", Long.toString(pid)).out().trim());
            assertEquals("go-metro -cfg=" + AGENT7_CFG, Sh.run(5, "ps", "-o", "args=", "-p", Long.toString(pid)).out().trim());
            List<String> got = receive(45);
            assertTrue(got.stream().anyMatch(d -> d.contains("system.net.tcp.rtt")), "datagrams: " + got);
        } finally {
            stopDistroSupervisord();
        }

        Sh.Result back = Sh.run(300, "dpkg", "-i", agentDeb("1:5.32.1-it", agentConf).toString()).ok("dpkg -i (Agent back)");
        String now = Files.readString(AGENT_CONF);
        assertTrue(now.contains("command=/opt/go-metro/bin/go-metro -cfg=\"/etc/dd-agent/conf.d/go-metro.yaml\""),
                "the entry is back in the Agent's file:\n" + now + "\ndpkg said:\n" + back.out());
        assertFalse(Files.exists(distro), "and only there: " + back.out());
        assertEquals(agentConf, Files.readString(Paths.get(AGENT_CONF + ".go-metro-orig")));
    }

    @Test @Order(9)
    void removeAndPurgeLeaveNothingBehind() throws Exception {
        stopSupervisord();
        // An edit the admin (or an agent upgrade) made after go-metro's install must survive its removal.
        String adminLine = "nodaemon=false\n; edited by the admin after go-metro's install";
        Files.writeString(AGENT_CONF, Files.readString(AGENT_CONF).replace("nodaemon=false", adminLine));
        Sh.run(300, "apt-get", "remove", "-y", "go-metro").ok("apt-get remove");
        assertEquals(agentConf.replace("nodaemon=false", adminLine), Files.readString(AGENT_CONF),
                "removal gives go-metro's section back its original command and keeps every other line as it is now");
        assertFalse(Files.exists(Paths.get(AGENT_CONF + ".go-metro-orig")));
        assertFalse(Files.exists(Paths.get("/etc/supervisor/conf.d/go-metro.conf")));
        assertFalse(Files.exists(Paths.get(JAVA)), "the capable binary is gone");
        assertFalse(Files.exists(Paths.get("/etc/ld.so.conf.d/go-metro.conf")));
        Files.writeString(LOG, "2026-01-01 00:00:00 UTC | INFO | go-metro | (X.java:1) | left over\n");
        Sh.run(300, "apt-get", "purge", "-y", "go-metro").ok("apt-get purge");
        assertNotEquals(0, Sh.run(10, "dpkg", "-s", "go-metro").exit());
        assertFalse(Files.exists(Paths.get(PREFIX)), Sh.run(5, "find", PREFIX).out());
        assertFalse(Files.exists(Paths.get("/etc/logrotate.d/go-metro")));
        assertFalse(Files.exists(Paths.get(CFG + ".example")));
        assertFalse(Files.exists(LOG), "purge removes the logs");
        assertEquals(0, Sh.run(5, "getent", "passwd", "dd-agent").exit(), "dd-agent stays (shared with the agent)");
    }

    @AfterAll
    void restoreMachine() throws Exception {
        if (tmp == null) return;
        stopSupervisord();
        stopDistroSupervisord();
        Files.deleteIfExists(AGENT7_CFG);
        if (!hadAgent7Dir) Sh.run(10, "rmdir", AGENT7_CFG.getParent().toString());
        stopTraffic();
        if (Sh.run(10, "dpkg", "-s", "go-metro").exit() == 0) Sh.run(300, "apt-get", "purge", "-y", "go-metro");
        if (Sh.run(10, "dpkg", "-s", "datadog-agent").exit() == 0) Sh.run(120, "dpkg", "--purge", "datadog-agent");
        Files.deleteIfExists(CFG);
        Files.deleteIfExists(AGENT_CONF);
        Files.deleteIfExists(Paths.get(AGENT_CONF + ".go-metro-orig"));
        if (!hadEtcDdAgent) Sh.run(10, "rm", "-rf", "/etc/dd-agent");
        if (!hadLogDir) Sh.run(10, "rm", "-rf", LOG.getParent().toString());
        if (!hadDdAgentUser) Sh.run(30, "userdel", "dd-agent");
        if (!hadDdAgentGroup && Sh.run(5, "getent", "group", "dd-agent").exit() == 0) Sh.run(30, "groupdel", "dd-agent");
        Sh.run(30, "rm", "-rf", tmp.toString());
    }

    // ---------------------------------------------------------------------------------

    Path bumpedDeb() throws Exception {
        return Sh.bumpedDeb(tmp.resolve("go-metro_upgrade_amd64.deb"));
    }

    /** A stand-in datadog-agent package that ships /etc/dd-agent/supervisor.conf as a conffile. */
    Path agentDeb(String version, String supervisorConf) throws Exception {
        Path d = tmp.resolve("agent-" + version.replace(':', '_'));
        Files.createDirectories(d.resolve("DEBIAN"));
        Files.createDirectories(d.resolve("etc/dd-agent"));
        Files.writeString(d.resolve("DEBIAN/control"), """
                Package: datadog-agent
                Version: %s
                Architecture: all
                Maintainer: go-metro tests <root@localhost>
                Description: stand-in for Datadog Agent v5's package (go-metro's DebInstallIT)
                """.formatted(version));
        Files.writeString(d.resolve("DEBIAN/conffiles"), "/etc/dd-agent/supervisor.conf\n");
        Files.writeString(d.resolve("etc/dd-agent/supervisor.conf"), supervisorConf);
        Path deb = tmp.resolve("datadog-agent_" + version.replace(':', '_') + "_all.deb");
        Sh.run(60, "dpkg-deb", "--root-owner-group", "-b", d.toString(), deb.toString()).ok("dpkg-deb -b " + d);
        return deb;
    }

    void writeConfig(Path file, String level) throws Exception {
        if (statsd == null) {
            statsd = new DatagramSocket(0, InetAddress.getLoopbackAddress());
            statsd.setSoTimeout(1000);
        }
        Files.writeString(file, """
                init_config:
                  snaplen: 512
                  idle_ttl: 300
                  exp_ttl: 60
                  statsd_ip: 127.0.0.1
                  statsd_port: %d
                  log_to_file: true
                  log_level: %s
                instances:
                  - interface: %s
                    tags: [test:deb-it]
                    ips: [%s]
                """.formatted(statsd.getLocalPort(), level, peer.iface(), peer.peerIp()));
    }

    List<String> receive(int seconds) throws Exception {
        List<String> got = new ArrayList<>();
        byte[] buf = new byte[65536];
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        while (System.nanoTime() < deadline) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                statsd.receive(p);
            } catch (SocketTimeoutException e) {
                continue;
            }
            String s = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            got.add(s);
            if (s.contains("system.net.tcp.rtt")) break;
        }
        return got;
    }

    void startTraffic() {
        if (peer == null) peer = new HttpPeer("gmpk", 231, 300);
    }

    void stopTraffic() {
        if (peer != null) peer.close();
        if (statsd != null) statsd.close();
    }

    long waitRunning(int seconds) throws Exception {
        return waitRunning(AGENT_CONF.toString(), "datadog-agent:go-metro", tmp.resolve("supervisord.log"), seconds);
    }

    /** Debian's supervisor package's own configuration: it includes /etc/supervisor/conf.d/*.conf. */
    static final String DISTRO_SUPERVISORD = "/etc/supervisor/supervisord.conf";
    static final Path AGENT7_CFG = Paths.get("/etc/datadog-agent/go-metro.yaml");

    /** The pid of {@code program} once the supervisord of {@code conf} has it RUNNING; its {@code log} on failure. */
    long waitRunning(String conf, String program, Path log, int seconds) throws Exception {
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        String st = "";
        while (System.nanoTime() < deadline) {
            st = Sh.run(10, "supervisorctl", "-c", conf, "status", program).out();
            var m = java.util.regex.Pattern.compile("RUNNING\\s+pid (\\d+)").matcher(st);
            if (m.find()) return Long.parseLong(m.group(1));
            Thread.sleep(500);
        }
        throw new AssertionError(program + " not RUNNING under " + conf + ": " + st + "\n"
                + Sh.run(5, "tail", "-20", log.toString()).out());
    }

    void stopDistroSupervisord() {
        if (Sh.run(10, "supervisorctl", "-c", DISTRO_SUPERVISORD, "pid").exit() != 0) return;
        Sh.run(30, "supervisorctl", "-c", DISTRO_SUPERVISORD, "shutdown");
        Sh.sh(30, "i=0; while supervisorctl -c " + DISTRO_SUPERVISORD + " pid >/dev/null 2>&1 && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done");
    }

    /** Throws away datagrams earlier daemons sent, so that what receive() sees is new. */
    void drain() throws Exception {
        byte[] buf = new byte[65536];
        while (true) {
            try {
                statsd.receive(new DatagramPacket(buf, buf.length));
            } catch (SocketTimeoutException e) {
                return;
            }
        }
    }

    void stopSupervisord() {
        Path pid = tmp.resolve("supervisord.pid");
        if (Files.exists(pid)) {
            Sh.run(30, "supervisorctl", "-c", AGENT_CONF.toString(), "shutdown");
            Sh.sh(30, "i=0; while [ -f " + pid + " ] && [ $i -lt 100 ]; do sleep 0.2; i=$((i+1)); done");
        }
    }

    static List<String> lines(String s) {
        List<String> l = new ArrayList<>();
        for (String x : s.split("\n")) if (!x.isEmpty()) l.add(x);
        return l;
    }

    static List<String> concat(List<String> a, List<String> b) {
        List<String> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }
}
