package io.gometro.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 5 item 8, the daemon's side: the packaged daemon, run as an unprivileged system user whose only privilege is
 * the file capability cap_net_raw+ep on runtime/bin/java (as the packages install it), captures and reports; runs
 * with exactly CAP_NET_RAW and nothing else in every thread; makes no set*id/capset call; creates and writes no file
 * but its log (0640 even under umask 000) and its status file (0644), nothing under /tmp (no hsperfdata, no JNA stub); and opens its config
 * read-only. DebInstallIT covers the installed package's capability, the daemon without it (exit 1 with the
 * CAP_NET_RAW message) and the supervisord user; this test looks inside the running process.
 *
 * <p>The user is a fresh one per run (gmp + hex), not dd-agent: parallel runs (and DebInstallIT, which creates and
 * deletes dd-agent) cannot disturb it, and "every file owned by this user" is then exactly "every file the daemon
 * created". Watching: strace -f from before the first exec (as root, so the file capability still applies to the
 * traced exec) and find -user after the run.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PrivilegeIT {
    static final String CAP_NET_RAW_MASK = "0000000000002000"; // bit 13
    static final String NONE = "0000000000000000";

    final String user = "gmp" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
    Path tree, runDir, logDir, log, cfg, straceOut;
    boolean userMade;
    NetLab lab;

    @BeforeAll
    void setUp() throws Exception {
        assumeTrue(LabTools.canRunLab(), "needs root and the lab (ip, gcc)");
        Path built = LabTools.targetDir().resolve("go-metro");
        assertTrue(Files.isExecutable(built.resolve("bin/go-metro")), built + " is missing: run mvn package");
        Cmd.run(Duration.ofSeconds(30), "useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                "--shell", "/usr/sbin/nologin", user).requireSuccess();
        userMade = true;
        // A copy of the packaged tree with the packages' capability; the build tree itself stays untouched.
        runDir = Files.createTempDirectory("gm-priv-");
        Files.setPosixFilePermissions(runDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        tree = runDir.resolve("go-metro");
        Cmd.run(Duration.ofSeconds(60), "cp", "-a", built.toString(), tree.toString()).requireSuccess();
        // A capable java runs in secure-execution mode, where ld.so ignores $ORIGIN: the build gives it the absolute
        // /opt/go-metro rpath, so a relocated copy needs its own (else it would load libjli from an installed package).
        Cmd.run(Duration.ofSeconds(10), "patchelf", "--force-rpath", "--set-rpath", tree.resolve("runtime/lib").toString(),
                tree.resolve("runtime/bin/java").toString()).requireSuccess();
        Cmd.run(Duration.ofSeconds(10), "setcap", "cap_net_raw+ep", tree.resolve("runtime/bin/java").toString()).requireSuccess();
        logDir = Files.createDirectory(runDir.resolve("log"));
        Cmd.run(Duration.ofSeconds(10), "chown", user + ":" + user, logDir.toString()).requireSuccess();
        Files.setPosixFilePermissions(logDir, PosixFilePermissions.fromString("rwxr-x---"));
        log = logDir.resolve("go-metro.log");
        straceOut = runDir.resolve("strace.out");
        lab = NetLab.start(NetLab.Config.rtt(10));
    }

    @AfterAll
    void tearDown() {
        if (lab != null) lab.close();
        if (runDir != null && !Boolean.getBoolean("gometro.keep")) Cmd.run(Duration.ofSeconds(30), "rm", "-rf", runDir.toString());
        if (userMade) Cmd.run(Duration.ofSeconds(30), "userdel", user);
    }

    @Test
    void capturesAsAnUnprivilegedUserWithOnlyCapNetRawAndWritesOnlyItsLog() throws Exception {
        int port = 18126;
        Path sinkOut = lab.workDir().resolve("statsd.out");
        Process sink = lab.spawn(lab.nsA(), sinkOut, List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                LabTools.projectDir().resolve("scripts/bench/UdpDump.java").toString(), Integer.toString(port), "150"));
        Cmd.awaitOutput(sink, sinkOut, "listening", Duration.ofSeconds(30), "UDP sink");
        cfg = runDir.resolve("go-metro.yaml");
        Files.writeString(cfg, """
                init_config:
                  statsd_ip: 127.0.0.1
                  statsd_port: %d
                  flush_interval: 2
                  log_to_file: true
                  log_level: info
                  status_file: %s
                instances:
                  - interface: %s
                    ips: [%s]
                """.formatted(port, logDir.resolve("status.json"), NetLab.IF_A, lab.ipv4B()));
        Files.setPosixFilePermissions(cfg, PosixFilePermissions.fromString("rw-r--r--")); // root's; only read

        boolean strace = Files.isExecutable(Path.of("/usr/bin/strace"));
        String uid = Cmd.run(Duration.ofSeconds(5), "id", "-u", user).requireSuccess().stdout().strip();
        String gid = Cmd.run(Duration.ofSeconds(5), "id", "-g", user).requireSuccess().stdout().strip();
        List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", lab.nsA()));
        if (strace) {
            cmd.addAll(List.of("strace", "-f", "-qq", "-o", straceOut.toString(), "-e",
                    "trace=%file,setuid,setgid,setreuid,setregid,setresuid,setresgid,setgroups,setfsuid,setfsgid,capset"));
        }
        // setpriv changes ids and execs (no fork), so the traced process becomes the daemon. umask 000: the log's
        // 0640 must come from the daemon, not from the umask.
        cmd.addAll(List.of("setpriv", "--reuid=" + user, "--regid=" + user, "--clear-groups", "--",
                "/bin/sh", "-c", "umask 000; exec \"$0\" \"$@\"", tree.resolve("bin/go-metro").toString(),
                "-cfg=" + cfg, "-log=" + log));
        Path marker = runDir.resolve("marker");
        Files.writeString(marker, "");
        Thread.sleep(20); // mtimes after the marker's are strictly newer
        Process top = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(runDir.resolve("daemon.out").toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        long pid = -1;
        try {
            Cmd.awaitOutput(top, log, "capturing on", Duration.ofSeconds(40), "go-metro as " + user);
            pid = strace ? top.children().findFirst().orElseThrow().pid() : top.pid();

            Thread traffic = new Thread(() -> {
                try {
                    TcpLoad.run(lab, false, 5301, TcpLoad.Spec.rr(200, 100, 1000).think(20), Duration.ofSeconds(30));
                } catch (RuntimeException e) {
                    System.err.println("PrivilegeIT: traffic: " + e.getMessage());
                }
            }, "priv-traffic");
            traffic.setDaemon(true);
            traffic.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            String got = "";
            while (System.nanoTime() < deadline && !got.contains("system.net.tcp.rtt.avg:")) {
                Thread.sleep(500);
                got = Files.readString(sinkOut);
            }
            assertTrue(got.contains("system.net.tcp.rtt.avg:") && got.contains("dst:" + lab.ipv4B()),
                    "as " + user + " with cap_net_raw it captures and reports; DogStatsD got:\n" + got + "\nlog:\n" + read(log));

            // Every thread: the user's ids, and exactly CAP_NET_RAW permitted and effective, nothing inheritable or ambient.
            int threads = 0;
            try (var tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
                for (Path t : tasks.toList()) {
                    String st = read(t.resolve("status"));
                    threads++;
                    assertEquals(List.of(uid, uid, uid, uid), field(st, "Uid"), "thread " + t + " runs as " + user);
                    assertEquals(List.of(gid, gid, gid, gid), field(st, "Gid"), "thread " + t + " group");
                    assertEquals(List.of(), field(st, "Groups"), "no supplementary groups");
                    assertEquals(List.of(CAP_NET_RAW_MASK), field(st, "CapEff"), "effective caps of " + t);
                    assertEquals(List.of(CAP_NET_RAW_MASK), field(st, "CapPrm"), "permitted caps of " + t);
                    assertEquals(List.of(NONE), field(st, "CapInh"), "inheritable caps of " + t);
                    assertEquals(List.of(NONE), field(st, "CapAmb"), "ambient caps of " + t);
                }
            }
            assertTrue(threads > 3, "read the caps of " + threads + " threads");
            System.out.printf("PrivilegeIT: pid %d as %s (uid %s): %d threads, each CapEff=CapPrm=%s (cap_net_raw), CapInh=CapAmb=0%n",
                    pid, user, uid, threads, CAP_NET_RAW_MASK);

            Cmd.run(Duration.ofSeconds(5), "kill", "-TERM", Long.toString(pid)).requireSuccess();
            assertTrue(top.waitFor(15, TimeUnit.SECONDS), "go-metro (and strace) exit after SIGTERM");
            traffic.join(35_000);
        } finally {
            if (top.isAlive()) {
                if (pid > 0) Cmd.run(Duration.ofSeconds(5), "kill", "-KILL", Long.toString(pid));
                top.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
            Cmd.stop(sink, Duration.ofSeconds(3));
        }

        // The log: created by the daemon, owned by the user, 0640 although the umask was 000.
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(log)), "log mode");
        assertEquals(user, Files.getOwner(log).getName(), "log owner");

        // No other file anywhere belongs to the user: no hsperfdata_<user>, no JNA stub in /tmp, nothing else.
        Cmd.Result owned = Cmd.run(Duration.ofSeconds(120), "find", "/", "/tmp", "/var/tmp", "/dev/shm", "/run", "-xdev",
                "-user", user, "-newer", marker.toString());
        // -newer: a system uid is reused after userdel, and files of an earlier owner may linger (hsperfdata_*).
        Set<String> files = new TreeSet<>(List.of(owned.stdout().strip().split("\n")));
        Path status = logDir.resolve("status.json");
        assertEquals(new TreeSet<>(List.of(logDir.toString(), log.toString(), status.toString())), files,
                "files of " + user + " written during the run (only the log and the status file, and their directory's entry)");
        assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(status)), "status file mode");
        // Spelled out, though the search above covers it: other JVMs on the machine write /tmp/hsperfdata_root.
        assertFalse(Files.exists(Path.of("/tmp/hsperfdata_" + user)), "no hsperfdata (the launcher's -XX:-UsePerfData)");

        assumeTrue(strace, "strace is not installed: the system-call checks are skipped (scripts/setup installs it)");
        checkSyscalls(Files.readAllLines(straceOut));
    }

    private static final Pattern CALL = Pattern.compile("^(\\d+)\\s+(\\w+)\\((.*)\\)\\s+=\\s+(-?\\d+|\\?)");
    private static final Pattern PATH = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** What the daemon (everything after setpriv exec'd the shell) did to files and ids. */
    void checkSyscalls(List<String> lines) {
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("execve(\"/bin/sh\"")) { start = i + 1; break; }
        }
        assertTrue(start > 0, "strace output has the exec of the launcher's shell");
        List<String> writes = new ArrayList<>(), creds = new ArrayList<>(), cfgOpens = new ArrayList<>(), changes = new ArrayList<>();
        int opens = 0;
        for (String l : lines.subList(start, lines.size())) {
            Matcher m = CALL.matcher(l);
            if (!m.find()) continue;
            String call = m.group(2), args = m.group(3);
            boolean ok = !m.group(4).startsWith("-");
            Matcher pm = PATH.matcher(args);
            String path = pm.find() ? pm.group(1) : "";
            switch (call) {
                case "open", "openat", "openat2", "creat" -> {
                    opens++;
                    boolean w = call.equals("creat") || args.contains("O_WRONLY") || args.contains("O_RDWR")
                            || args.contains("O_CREAT") || args.contains("O_TRUNC");
                    if (path.equals(cfg.toString())) cfgOpens.add(l);
                    // /dev/null is the JVM's stdin/stdout fallback; /dev/tty is never asked for here.
                    // the log, and the status file, written to a temporary beside it and renamed over it
                    boolean ours = path.equals(log.toString()) || path.equals(logDir.resolve(".status.json.tmp").toString());
                    if (w && ok && !ours && !path.equals("/dev/null")) writes.add(l);
                    if (w && path.equals(cfg.toString())) writes.add(l);
                }
                case "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "setfsuid",
                     "setfsgid", "capset" -> creds.add(l);
                case "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir", "link",
                     "linkat", "symlink", "symlinkat", "truncate", "chown", "fchownat", "lchown" -> {
                    // the status file's temporary: removed if stale, renamed over the status file
                    boolean statusTmp = path.equals(logDir.resolve(".status.json.tmp").toString());
                    if (ok && !statusTmp) changes.add(l);
                }
                case "chmod", "fchmodat" -> {
                    if (ok && !path.equals(log.toString())) changes.add(l);
                }
                default -> { }
            }
        }
        assertTrue(opens > 50, "strace saw the daemon's opens (" + opens + ")");
        assertEquals(List.of(), creds, "no set*id/setgroups/capset call: it neither asks for nor drops privileges");
        assertEquals(List.of(), writes, "no file opened for writing but the log and the status file");
        assertEquals(List.of(), changes, "no file created, renamed, removed or re-moded but the log and the status file");
        assertFalse(cfgOpens.isEmpty(), "the config was opened");
        for (String l : cfgOpens) assertTrue(l.contains("O_RDONLY"), "the config is opened read-only: " + l);
        System.out.printf("PrivilegeIT: strace: %d opens after exec, the config opened %d times O_RDONLY, writes only to %s%n",
                opens, cfgOpens.size(), log);
    }

    /** The whitespace-separated values of a /proc status line. */
    static List<String> field(String status, String name) {
        for (String l : status.split("\n")) {
            if (l.startsWith(name + ":")) {
                String v = l.substring(name.length() + 1).strip();
                return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
            }
        }
        throw new AssertionError("no " + name + " in /proc status");
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(" + e.getMessage() + ")";
        }
    }
}
