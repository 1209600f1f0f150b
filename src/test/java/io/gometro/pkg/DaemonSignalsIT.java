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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The packaged daemon (target/go-metro/bin/go-metro) under each stop signal: exit 0
 * within 2 s, a last flush on the DogStatsD socket, the reason as the log's last line;
 * and its name in ps (issue 2 item 9, issue 3).
 *
 * <p>It captures live on lo with a whitelist of an address nothing uses (TEST-NET-2), so
 * it sees no packets and never reads other tests' traffic; DogStatsD goes to this
 * test's own UDP socket on an ephemeral loopback port. Root is needed to capture.
 */
class DaemonSignalsIT {
    static final Path LAUNCHER = Sh.TARGET.resolve("go-metro/bin/go-metro");

    Path dir;
    DatagramSocket statsd;
    Process daemon;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Files.isExecutable(LAUNCHER), "needs the packaged tree: mvn package");
        assumeTrue(Sh.isRoot(), "capturing on lo needs root");
        dir = Files.createTempDirectory("gm-sig-");
        statsd = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        statsd.setSoTimeout(100);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null && daemon.isAlive()) {
            daemon.destroyForcibly();
            daemon.waitFor(5, TimeUnit.SECONDS);
        }
        if (statsd != null) statsd.close();
        if (dir != null) Sh.run(10, "rm", "-rf", dir.toString());
    }

    Path config() throws Exception {
        Path cfg = dir.resolve("go-metro.yaml");
        Files.writeString(cfg, """
                init_config:
                  statsd_ip: 127.0.0.1
                  statsd_port: %d
                  flush_interval: 3600
                  log_to_file: false
                  log_level: info
                instances:
                  - interface: lo
                    ips: [198.51.100.77]
                """.formatted(statsd.getLocalPort()));
        return cfg;
    }

    Path out() { return dir.resolve("daemon.out"); }

    void start(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(LAUNCHER.toString()));
        cmd.addAll(List.of(args));
        daemon = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out().toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    }

    void waitForLog(String needle, long timeoutMs) throws Exception {
        long end = System.nanoTime() + timeoutMs * 1_000_000;
        while (System.nanoTime() < end) {
            if (Files.readString(out()).contains(needle)) return;
            if (!daemon.isAlive()) break;
            Thread.sleep(50);
        }
        fail("no \"" + needle + "\" in the daemon's output within " + timeoutMs + " ms:\n" + Files.readString(out()));
    }

    /** Sends {@code sig}; returns ms until the process is gone. Fails if that takes more than 2 s. */
    long signalAndTime(String sig) throws Exception {
        long pid = daemon.pid();
        long t0 = System.nanoTime();
        Sh.run(5, "kill", "-s", sig, Long.toString(pid)).ok("kill -s " + sig);
        boolean gone = daemon.waitFor(2_000, TimeUnit.MILLISECONDS);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(gone, "SIG" + sig + ": still running after 2 s\n" + Files.readString(out()));
        return ms;
    }

    List<String> drain(long quietMs) throws Exception {
        List<String> got = new ArrayList<>();
        byte[] buf = new byte[65536];
        long end = System.currentTimeMillis() + quietMs;
        while (System.currentTimeMillis() < end) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            try {
                statsd.receive(p);
            } catch (SocketTimeoutException e) {
                continue;
            }
            for (String l : new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8).split("\n")) {
                if (!l.isBlank()) got.add(l);
            }
        }
        return got;
    }

    static String lastLine(String text) {
        String[] lines = text.strip().split("\n");
        return lines[lines.length - 1];
    }

    @ParameterizedTest
    @ValueSource(strings = {"TERM", "INT", "HUP", "QUIT"})
    void eachStopSignalStopsItWithinTwoSecondsAfterALastFlush(String sig) throws Exception {
        Path cfg = config();
        start("-cfg=" + cfg);
        waitForLog("capturing on lo", 20_000);
        assertTrue(drain(300).stream().noneMatch(l -> l.startsWith("go_metro.")),
                "flush_interval is 3600 s: nothing is flushed before the signal");

        long ms = signalAndTime(sig);
        assertEquals(0, daemon.exitValue(), Files.readString(out()));
        String log = Files.readString(out());
        assertTrue(log.contains("received SIG" + sig + ": stopping after a last flush"), log);
        assertTrue(lastLine(log).contains("go-metro stopped (received SIG" + sig + "), exit code 0"), "last line: " + lastLine(log));
        List<String> flushed = drain(500);
        for (String g : List.of("go_metro.packets.processed:0|g", "go_metro.packets.dropped:", "go_metro.flows.active:0|g")) {
            assertTrue(flushed.stream().anyMatch(l -> l.startsWith(g) && l.contains("iface:lo")),
                    "the last flush sends " + g + "; got " + flushed);
        }
        System.out.printf("DaemonSignalsIT: SIG%s stopped go-metro in %d ms (exit 0, last flush received)%n", sig, ms);
    }

    @Test
    void psShowsGoMetroAndTheUsersArgumentsOnly() throws Exception {
        Path cfg = config();
        start("-cfg=" + cfg);
        waitForLog("capturing on lo", 20_000);
        String pid = Long.toString(daemon.pid());
        // The title is rewritten before the config is read, so it is in place by now.
        assertEquals("go-metro -cfg=" + cfg, Sh.run(5, "ps", "-o", "args=", "-p", pid).ok("ps args").out().strip());
        assertEquals("go-metro", Sh.run(5, "ps", "-o", "comm=", "-p", pid).ok("ps comm").out().strip());
        assertTrue(List.of(Sh.run(5, "pgrep", "-x", "go-metro").out().split("\\s+")).contains(pid), "pgrep -x go-metro");
        assertTrue(List.of(Sh.run(5, "pgrep", "-f", "^go-metro -cfg=" + cfg + "$").out().split("\\s+")).contains(pid),
                "pgrep -f matches the whole documented command line");
        byte[] cmdline = Files.readAllBytes(Path.of("/proc", pid, "cmdline"));
        byte[] want = ("go-metro\0-cfg=" + cfg + "\0").getBytes(StandardCharsets.UTF_8);
        assertArrayEquals(want, java.util.Arrays.copyOf(cmdline, want.length), "/proc/PID/cmdline: " + new String(cmdline, StandardCharsets.UTF_8));
        for (int i = want.length; i < cmdline.length; i++) assertEquals(0, cmdline[i], "NUL padding after the title, byte " + i);
        assertFalse(new String(cmdline, StandardCharsets.UTF_8).contains("java"), "no JVM flags left");
        // every JVM thread keeps HUP, INT, QUIT and TERM blocked but the one in sigtimedwait
        String status = Files.readString(Path.of("/proc", pid, "status"));
        assertTrue(status.contains("SigCgt:") && !caught(status, 1) && !caught(status, 2) && !caught(status, 3) && !caught(status, 15),
                "with -Xrs the JVM installs no handler for the four:\n" + status);
        signalAndTime("TERM");
    }

    @Test
    void aStopSignalCutsTheMissingConfigWaitShort() throws Exception {
        start("-cfg=" + dir.resolve("absent.yaml"));
        waitForLog("waiting 5 s before exiting", 20_000);
        long ms = signalAndTime("TERM");
        assertEquals(0, daemon.exitValue());
        assertTrue(lastLine(Files.readString(out())).contains("go-metro stopped (received SIGTERM), exit code 0"), Files.readString(out()));
        System.out.printf("DaemonSignalsIT: SIGTERM during the missing-config wait: gone in %d ms%n", ms);
    }

    /** Whether /proc/PID/status's SigCgt mask has signal {@code sig}. */
    static boolean caught(String status, int sig) {
        String hex = status.lines().filter(l -> l.startsWith("SigCgt:")).findFirst().orElseThrow().substring(7).strip();
        return new java.math.BigInteger(hex, 16).testBit(sig - 1);
    }
}
