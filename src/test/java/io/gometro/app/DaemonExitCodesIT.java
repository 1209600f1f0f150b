package io.gometro.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gometro.lab.Cmd;
import io.gometro.lab.LabTools;
import org.junit.jupiter.api.Assumptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 2 "Bad configs" and issue 5 item 3 through the real process: each bad config exits 1 with one
 * error line naming the file and the key and no stack trace; flags and the missing-config wait as specified.
 * Runs in the root namespace without capturing (every case stops before a capture opens, or fails to open one).
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DaemonExitCodesIT {
    static Path dir;

    @BeforeAll
    static void dir() throws IOException {
        dir = Files.createTempDirectory("dit-exit");
    }

    @AfterAll
    static void clean() throws IOException {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    static final String OK_INSTANCE = "instances:\n  - interface: lo\n    ips: [192.0.2.10]\n";

    static Stream<Arguments> badConfigs() {
        return Stream.of(
                Arguments.of("snaplen-too-small", "init_config:\n  snaplen: 50\n" + OK_INSTANCE, "init_config.snaplen"),
                Arguments.of("snaplen-string", "init_config:\n  snaplen: big\n" + OK_INSTANCE, "init_config.snaplen"),
                Arguments.of("idle-ttl-negative", "init_config:\n  idle_ttl: -1\n" + OK_INSTANCE, "init_config.idle_ttl"),
                Arguments.of("exp-ttl-zero", "init_config:\n  exp_ttl: 0\n" + OK_INSTANCE, "init_config.exp_ttl"),
                Arguments.of("expired-ttl-conflict", "init_config:\n  exp_ttl: 60\n  expired_ttl: 30\n" + OK_INSTANCE,
                        "init_config.expired_ttl"),
                Arguments.of("statsd-port-range", "init_config:\n  statsd_port: 70000\n" + OK_INSTANCE, "init_config.statsd_port"),
                Arguments.of("statsd-ip-junk", "init_config:\n  statsd_ip: \"not an address!\"\n" + OK_INSTANCE, "init_config.statsd_ip"),
                Arguments.of("log-level", "init_config:\n  log_level: loud\n" + OK_INSTANCE, "init_config.log_level"),
                Arguments.of("log-to-file-type", "init_config:\n  log_to_file: \"maybe\"\n" + OK_INSTANCE, "init_config.log_to_file"),
                Arguments.of("flush-interval-zero", "init_config:\n  flush_interval: 0\n" + OK_INSTANCE, "init_config.flush_interval"),
                Arguments.of("init-not-mapping", "init_config: [1, 2]\n" + OK_INSTANCE, "init_config"),
                Arguments.of("no-instances", "init_config:\n  snaplen: 512\n", "instances"),
                Arguments.of("empty-instances", "instances: []\n", "instances"),
                Arguments.of("empty-interface", "instances:\n  - interface: \"\"\n    ips: [192.0.2.10]\n", "instances[0].interface"),
                Arguments.of("file-without-pcap", "instances:\n  - interface: file\n    ips: [192.0.2.10]\n", "instances[0].pcap"),
                Arguments.of("bad-ip", "instances:\n  - interface: lo\n    ips: [300.1.2.3]\n", "instances[0].ips"),
                Arguments.of("ips-not-list", "instances:\n  - interface: lo\n    ips: {a: 1}\n", "instances[0].ips"),
                Arguments.of("duplicate-interface", "instances:\n  - interface: lo\n    ips: [192.0.2.10]\n"
                        + "  - interface: lo\n    ips: [192.0.2.11]\n", "instances[1].interface"),
                Arguments.of("sample-duration", "instances:\n  - interface: lo\n    ips: [192.0.2.10]\n    sample: true\n"
                        + "    sample_duration: 60\n    sample_interval: 30\n", "instances[0].sample_duration"),
                Arguments.of("no-whitelist", "instances:\n  - interface: lo\n", "instances[0]"),
                Arguments.of("local-only-whitelist", "instances:\n  - interface: lo\n    ips: [127.0.0.1]\n", "instances[0]"),
                Arguments.of("alias-bomb", billionLaughs(), "alias"),
                Arguments.of("yaml-syntax", "init_config:\n  snaplen: [512\n" + OK_INSTANCE, "yaml"),
                // 2 x 100 000 connections do not fit the daemon's 64 MB heap (app/HeapBudget).
                Arguments.of("max-flows-do-not-fit", "init_config:\n  max_flows: 100000\n" + OK_INSTANCE
                        + "  - interface: any\n    ips: [192.0.2.11]\n", "init_config.max_flows"));
    }

    static String billionLaughs() {
        StringBuilder b = new StringBuilder("a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
        for (int i = 1; i < 10; i++) {
            b.append("a").append(i).append(": &a").append(i).append(" [");
            for (int j = 0; j < 9; j++) b.append(j > 0 ? "," : "").append("*a").append(i - 1);
            b.append("]\n");
        }
        return b + OK_INSTANCE;
    }

    static Cmd.Result run(String... args) {
        List<String> a = new ArrayList<>(List.of(args));
        a.add("-log=" + dir.resolve("go-metro.log"));
        return Cmd.run(Duration.ofSeconds(60), DaemonHarness.daemonCommand(a.toArray(String[]::new)));
    }

    static void assertNoStackTrace(Cmd.Result r) {
        assertNoStackTrace(r.stdout() + r.stderr());
    }

    static void assertNoStackTrace(String all) {
        assertFalse(all.contains("\tat ") || all.contains("Exception") || all.contains("Caused by"), "a stack trace:\n" + all);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badConfigs")
    void badConfigExitsOneWithOneLineNamingTheKey(String name, String yaml, String key) {
        Path cfg = DaemonHarness.write(dir.resolve(name + ".yaml"), yaml);
        Path log = dir.resolve(name + ".log");
        Cmd.Result r = Cmd.run(Duration.ofSeconds(60), DaemonHarness.daemonCommand("-cfg=" + cfg, "-log=" + log));
        // Every error reaches the -log file, where the operator looks (Agent v5's supervisord discards
        // stderr); those found before logging is set up go to stderr too.
        String logged = DaemonHarness.read(log);
        String all = r.stdout() + r.stderr() + logged;
        assertEquals(1, r.exitCode(), name + ":\n" + all);
        assertNoStackTrace(all);
        List<String> errors = logged.lines().filter(l -> l.contains("| ERROR |")).toList();
        assertEquals(1, errors.size(), name + ": expected one ERROR line in the -log file:\n" + all);
        assertTrue(r.stderr().isEmpty() || r.stderr().contains(errors.get(0).substring(errors.get(0).lastIndexOf(") | ") + 4)),
                name + ": stderr says something else than the log:\n" + all);
        String line = errors.get(0);
        assertTrue(line.contains(cfg.toString()), name + ": the error does not name the file: " + line);
        assertTrue(line.toLowerCase().contains(key.toLowerCase()), name + ": the error does not name " + key + ": " + line);
        System.out.printf("%-22s exit 1: %s%n", name, line.substring(line.lastIndexOf(") | ") + 4));
    }

    @Test
    void missingConfigWaitsFiveSecondsThenExitsZero() {
        Path cfg = dir.resolve("does-not-exist.yaml");
        long t0 = System.nanoTime();
        Cmd.Result r = run("-cfg=" + cfg);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        String logged = DaemonHarness.read(dir.resolve("go-metro.log"));
        assertTrue(logged.contains(cfg.toString()) && logged.contains("configuration file not found"),
                "the -log file names the missing file:\n" + logged);
        String all = r.stdout() + r.stderr();
        assertEquals(0, r.exitCode(), all);
        assertTrue(ms >= 4_500, "exited after " + ms + " ms; supervisord would count a fast failure");
        assertTrue(ms < 15_000, "took " + ms + " ms");
        assertTrue(all.contains(cfg.toString()), "the log line does not name the file:\n" + all);
        assertNoStackTrace(r);
        System.out.printf("missing config: exit 0 after %d ms%n", ms);
    }

    @Test
    void badFlagsExitTwo() {
        Path log = dir.resolve("flags.log");
        for (String[] args : new String[][] {{"-bogus"}, {"-cfg"}, {"-st=perhaps"}, {"-json"}, {"extra-arg"}}) {
            List<String> a = new ArrayList<>(List.of("-log", log.toString()));
            a.addAll(List.of(args));
            long before = DaemonHarness.read(log).lines().count();
            Cmd.Result r = Cmd.run(Duration.ofSeconds(30), DaemonHarness.daemonCommand(a.toArray(String[]::new)));
            assertEquals(2, r.exitCode(), String.join(" ", args) + ":\n" + r.stdout() + r.stderr());
            assertTrue(r.stderr().contains("Usage of go-metro"), String.join(" ", args) + ": no usage on stderr:\n" + r.stderr());
            assertTrue(r.stdout().isEmpty(), "stdout is for results only: " + r.stdout());
            assertNoStackTrace(r);
            List<String> added = DaemonHarness.read(log).lines().skip(before).toList();
            assertEquals(1, added.size(), String.join(" ", args) + ": one line in the -log file: " + added);
            assertTrue(added.get(0).contains("| ERROR |") && added.get(0).contains("bad command line"), added.get(0));
        }
        // Analysis mode and help print to the terminal only.
        Cmd.Result r = Cmd.run(Duration.ofSeconds(30), DaemonHarness.daemonCommand("-log", log.toString(), "-pcap"));
        assertEquals(2, r.exitCode());
        assertEquals(5, DaemonHarness.read(log).lines().count(), "no log line for analysis mode's bad flags");
    }

    /**
     * An out-of-memory exit leaves its line in the -log file: the packaged launcher's OnOutOfMemoryError
     * hook. Forced with a 16 MB heap (GO_METRO_JAVA_OPTS) and a replayed capture in which 24 senders
     * leave 40 000 segments each unacknowledged under max_pending 65536 (~1.3 MB per sender).
     */
    @Test
    void outOfMemoryLeavesItsLineInTheLog() throws IOException {
        Path launcher = LabTools.targetDir().resolve("go-metro/bin/go-metro");
        Assumptions.assumeTrue(Files.isExecutable(launcher), "needs the packaged launcher (mvn package)");
        Path pcap = dir.resolve("unacked.pcap");
        try (var out = new java.io.BufferedOutputStream(Files.newOutputStream(pcap), 1 << 16)) {
            java.nio.ByteBuffer h = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            out.write(h.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1).array());
            byte[] frame = io.gometro.testutil.Packets.tcp().src("10.0.0.1", 40000).dst("192.0.2.10", 80).seq(0).ack(1)
                    .flags(0x18).payload(100).ethernet();
            java.nio.ByteBuffer rec = java.nio.ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            int n = 0;
            for (int seg = 0; seg < 40_000; seg++) {
                for (int sender = 0; sender < 24; sender++, n++) {
                    java.nio.ByteBuffer f = java.nio.ByteBuffer.wrap(frame);
                    f.put(29, (byte) (sender + 1));         // 10.0.0.<sender+1>
                    f.putInt(38, seg * 100);                // seq
                    rec.clear();
                    rec.putInt(1_700_000_000 + n / 100_000).putInt(n % 100_000 * 10).putInt(frame.length)
                            .putInt(frame.length + 100);
                    out.write(rec.array());
                    out.write(frame);
                }
            }
        }
        Path cfg = DaemonHarness.write(dir.resolve("oom.yaml"), "init_config:\n  max_pending: 65536\n  max_flows: 100\n"
                + "instances:\n  - interface: file\n    pcap: " + pcap + "\n    ips: [192.0.2.10]\n");
        Path log = dir.resolve("oom.log");
        List<String> cmd = new ArrayList<>(List.of("env", "GO_METRO_JAVA_OPTS=-Xmx16m"));
        cmd.addAll(List.of(launcher.toString(), "-cfg=" + cfg, "-log=" + log));
        Cmd.Result r = Cmd.run(Duration.ofSeconds(90), cmd);
        String logged = DaemonHarness.read(log);
        assertEquals(3, r.exitCode(), "ExitOnOutOfMemoryError's exit code:\n" + r.stderr() + "\n" + logged);
        List<String> oom = logged.lines().filter(l -> l.contains("| CRITICAL | go-metro |") && l.contains("out of memory")).toList();
        assertEquals(1, oom.size(), logged);
        assertTrue(oom.get(0).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC \\| CRITICAL \\| go-metro \\| .*max_flows.*"),
                "Agent v5's line format, naming the fix: " + oom.get(0));
        System.out.println("out of memory: exit 3, log: " + oom.get(0));
    }

    @Test
    void versionAndHelpExitZero() throws IOException {
        Properties p = new Properties();
        try (var in = getClass().getResourceAsStream("/go-metro-version.properties")) {
            if (in != null) p.load(in);
        }
        Cmd.Result v = Cmd.run(Duration.ofSeconds(30), DaemonHarness.daemonCommand("-version"));
        assertEquals(0, v.exitCode(), v.stderr());
        assertTrue(v.stdout().startsWith("go-metro "), v.stdout());
        String version = p.getProperty("version");
        if (version != null && !version.contains("${")) assertTrue(v.stdout().contains(version), v.stdout() + " vs " + version);
        for (String h : new String[] {"-h", "--help", "-help"}) {
            Cmd.Result r = Cmd.run(Duration.ofSeconds(30), DaemonHarness.daemonCommand(h));
            assertEquals(0, r.exitCode(), h + ": " + r.stderr());
            assertTrue((r.stdout() + r.stderr()).contains("-cfg"), h + ": no usage:\n" + r.stdout() + r.stderr());
        }
    }
}
