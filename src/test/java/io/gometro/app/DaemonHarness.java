package io.gometro.app;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.gometro.lab.Cmd;
import io.gometro.lab.GoMetroCommand;
import io.gometro.lab.LabTools;
import io.gometro.lab.NetLab;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs the real daemon process (packaged launcher or java -cp) for the daemon ITs, and reads what it left. */
final class DaemonHarness {
    private DaemonHarness() {}

    /** Agent v5's line: {@code 2016-03-31 20:35:27 UTC | INFO | go-metro | (Sniffer.java:120) | message}. */
    static final Pattern LOG_LINE = Pattern.compile(
            "\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC \\| (TRACE|DEBUG|INFO|WARNING|ERROR|CRITICAL) \\| go-metro \\| "
                    + "\\([A-Za-z0-9_$.]+:\\d+\\) \\| .*");
    /** The per-flush summary line; group 1 is the running packet total. */
    static final Pattern SUMMARY = Pattern.compile("iface \\S+: (?:reported|DogStatsD at .* unavailable).*; (\\d+) packets, (\\d+) dropped");

    /** One DogStatsD gauge line: {@code name:value|g|#tag,tag}. */
    record Gauge(String name, double value, Set<String> tags) {
        static Gauge parse(String line) {
            String[] parts = line.split("\\|");
            if (parts.length < 2 || !parts[1].equals("g")) return null;
            int colon = parts[0].lastIndexOf(':');
            if (colon <= 0) return null;
            Set<String> tags = new TreeSet<>();
            for (int i = 2; i < parts.length; i++) {
                if (parts[i].startsWith("#")) tags.addAll(Arrays.asList(parts[i].substring(1).split(",")));
            }
            return new Gauge(parts[0].substring(0, colon), Double.parseDouble(parts[0].substring(colon + 1)), tags);
        }

        /** The value of tag {@code key:}, or null. */
        String tag(String key) {
            for (String t : tags) if (t.startsWith(key + ":")) return t.substring(key.length() + 1);
            return null;
        }
    }

    static List<Gauge> gauges(String text) {
        List<Gauge> g = new ArrayList<>();
        for (String line : text.split("\n")) {
            Gauge x = line.contains("|g") ? Gauge.parse(line.strip()) : null;
            if (x != null) g.add(x);
        }
        return g;
    }

    static List<Gauge> named(List<Gauge> all, String name) {
        return all.stream().filter(g -> g.name().equals(name)).toList();
    }

    /**
     * The daemon's command line: the packaged launcher, or the java -cp fallback with the launcher's memory flags
     * (so RSS figures mean the same either way). No -Xrs: it would make the JVM refuse our TERM/INT/HUP handlers.
     */
    static List<String> daemonCommand(String... args) {
        List<String> c = new ArrayList<>(GoMetroCommand.command(args));
        if (c.get(0).equals(javaBin())) c.addAll(1, List.of("-XX:+UseSerialGC", "-Xms8m", "-Xmx48m", "-XX:+ExitOnOutOfMemoryError"));
        return c;
    }

    static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError("not an IP literal: " + literal, e);
        }
    }

    static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }

    static Path write(Path p, String text) {
        try {
            Files.createDirectories(p.getParent());
            return Files.writeString(p, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + p + ": " + e.getMessage(), e);
        }
    }

    /** A live instance config: one interface, one whitelisted peer, statsd on the namespace's loopback. */
    static String liveConfig(String iface, String peer, int flushSeconds, String statsdHost, int statsdPort, boolean logToFile) {
        return """
                init_config:
                  statsd_ip: %s
                  statsd_port: %d
                  log_to_file: %s
                  log_level: info
                  flush_interval: %d
                instances:
                  - interface: %s
                    tags: [env:dit, "role:it"]
                    ips: ["%s"]
                """.formatted(statsdHost, statsdPort, logToFile, flushSeconds, iface, peer);
    }

    /** Waits until {@code file} contains {@code marker}; fails with the file's text if the process dies first. */
    static void await(Process p, Path file, String marker, Duration timeout, String what) {
        Cmd.awaitOutput(p, file, marker, timeout, what);
    }

    /** Waits up to {@code timeout} for the predicate on the file's text, failing with the text. */
    static String awaitText(Path file, java.util.function.Predicate<String> ok, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String text = "";
        while (System.nanoTime() < deadline) {
            text = read(file);
            if (ok.test(text)) return text;
            sleep(100);
        }
        return fail(what + " not seen within " + timeout + " in " + file + ":\n" + text);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** kill -s SIG pid. */
    static void signal(Process p, String sig) {
        Cmd.run(Duration.ofSeconds(5), "kill", "-s", sig, Long.toString(p.pid())).requireSuccess();
    }

    /** Waits for the exit; returns nanoseconds from {@code sinceNanos} to the exit, failing after {@code timeout}. */
    static long awaitExit(Process p, long sinceNanos, Duration timeout, Path output) {
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                fail("go-metro (pid " + p.pid() + ") still runs after " + timeout + ":\n" + read(output));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return System.nanoTime() - sinceNanos;
    }

    /** VmRSS of a live process in KiB, or -1 if it is gone. */
    static long vmRssKb(long pid) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("\\D", ""));
            }
        } catch (IOException e) {
            return -1;
        }
        return -1;
    }

    /** Every line whole and in Agent v5's format, and the text ends with a newline (no partial last line). */
    static void assertWholeLogLines(String text, String what) {
        assertTrue(!text.isEmpty(), what + " is empty");
        assertTrue(text.endsWith("\n"), what + " ends in a partial line: ..." + tail(text));
        for (String line : text.split("\n")) {
            assertTrue(LOG_LINE.matcher(line).matches(), what + " has a line not in Agent v5's format: '" + line + "'");
        }
    }

    static String tail(String text) {
        return text.length() <= 600 ? text : text.substring(text.length() - 600);
    }

    /** Packet totals of the per-flush summary lines, in order. */
    static List<Long> summaryPackets(String log) {
        List<Long> v = new ArrayList<>();
        for (String line : log.split("\n")) {
            Matcher m = SUMMARY.matcher(line);
            if (m.find()) v.add(Long.parseLong(m.group(1)));
        }
        return v;
    }

    /** The test classes, for `java -cp` of UdpSink inside a namespace. */
    static String testClasses() {
        return LabTools.targetDir().resolve("test-classes").toString();
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** UdpSink on 127.0.0.1:port inside {@code ns}, printing datagram lines to {@code out}; waits until bound. */
    static Process startSink(NetLab lab, String ns, int port, boolean noRead, Path out) {
        List<String> c = new ArrayList<>(List.of(javaBin(), "-Xmx32m", "-cp", testClasses(), UdpSink.class.getName(),
                Integer.toString(port)));
        if (noRead) c.add("noread");
        Process p = lab.spawn(ns, out, c);
        Cmd.awaitOutput(p, out, "READY", Duration.ofSeconds(10), "UdpSink");
        return p;
    }

    /** tcp-load server in b and client in a, in the background, killed by lab.close() at the latest. */
    static Process[] startLoad(NetLab lab, boolean v6, int port, List<String> clientMode, int seconds) {
        Path tcpLoad = LabTools.binary("tcp-load");
        Path srvOut = lab.workDir().resolve("load-server-" + port + ".out");
        Path cliOut = lab.workDir().resolve("load-client-" + port + ".out");
        Process srv = lab.spawn(lab.nsB(), srvOut, List.of(tcpLoad.toString(), "server", "-b", lab.addrB(v6),
                "-p", Integer.toString(port), "-T", Integer.toString(seconds)));
        Cmd.awaitOutput(srv, srvOut, "READY", Duration.ofSeconds(5), "tcp-load server");
        List<String> c = new ArrayList<>(List.of(tcpLoad.toString(), "client", "-c", lab.addrB(v6),
                "-p", Integer.toString(port), "-T", Integer.toString(seconds)));
        c.addAll(clientMode);
        Process cli = lab.spawn(lab.nsA(), cliOut, c);
        return new Process[] {srv, cli};
    }
}
