package io.gometro.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.gometro.lab.GoMetroCommand;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 5 item 6 through the real daemon: the packaged go-metro replays the {@link FlowFlood} capture (a million
 * one-packet flows in 50 s of packet time, four legitimate flows with a 20 ms RTT, one sender nobody acknowledges)
 * with {@code interface: file}, a small max_flows and a 5 s flush, reporting to a real UDP socket. Checks: the
 * eviction warning appears once per flush at most and accounts for every eviction, go_metro.flows.active never
 * exceeds max_flows, the legitimate pair's gauges are exactly 20 ms at every flush, and the peak RSS (GNU time's
 * maximum resident set) stays under the launcher's limits plus a bound.
 */
class FlowFloodDaemonIT {
    static final int MAX_FLOWS = 10_000;
    static final int FLUSH_S = 5;
    /**
     * Peak RSS bound: the launcher's -Xmx48m heap + 48 MB metaspace cap + 24 MB code cache = 120 MB of caps, plus
     * 100 MB for what no flag bounds (the JVM's own native memory, thread stacks, libpcap's read buffer, malloc
     * arenas; ~85 MB at rest in the soak). A table that grew with the flood (a million flows) would need far more.
     */
    static final long RSS_LIMIT_KB = 220 * 1024;

    @TempDir Path dir;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void aMillionFlowFloodThroughTheDaemon() throws Exception {
        Path launcher = Path.of(System.getProperty("basedir", ".")).resolve("target/go-metro/bin/go-metro");
        assumeTrue(Files.isExecutable(launcher), "needs the packaged daemon (mvn package)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/time")), "needs GNU time for the peak RSS");
        Path pcap = dir.resolve("flood.pcap");
        int requests = FlowFlood.generate(pcap, 42);
        Path log = dir.resolve("go-metro.log"), gcLog = dir.resolve("gc.log"), out = dir.resolve("out.txt");
        try (DatagramSocket statsd = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            statsd.setSoTimeout(200);
            Path cfg = dir.resolve("go-metro.yaml");
            Files.writeString(cfg, """
                    init_config:
                      statsd_ip: 127.0.0.1
                      statsd_port: %d
                      flush_interval: %d
                      max_flows: %d
                      log_to_file: true
                      log_level: info
                    instances:
                      - interface: file
                        pcap: %s
                        ips: [10.2.0.1, 10.9.0.1, 10.2.0.9]
                    """.formatted(statsd.getLocalPort(), FLUSH_S, MAX_FLOWS, pcap));
            List<String> cmd = new ArrayList<>(List.of("/usr/bin/time", "-v"));
            cmd.addAll(GoMetroCommand.command("-cfg=" + cfg, "-log=" + log));
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
            pb.environment().put("GO_METRO_JAVA_OPTS", "-Xlog:gc:file=" + gcLog);
            Process p = pb.start();
            List<String> lines = new ArrayList<>();
            byte[] buf = new byte[65536];
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
            // Read while it runs (the socket buffer must not overflow), then what is left.
            while (System.nanoTime() < deadline) {
                DatagramPacket d = new DatagramPacket(buf, buf.length);
                try {
                    statsd.receive(d);
                    for (String l : new String(buf, 0, d.getLength(), StandardCharsets.UTF_8).split("\n")) if (!l.isBlank()) lines.add(l);
                } catch (SocketTimeoutException e) {
                    if (!p.isAlive()) break;
                }
            }
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the daemon ends at the end of the file");
            String o = Files.readString(out);
            String l = Files.readString(log);
            assertEquals(0, p.exitValue(), "exit code; output:\n" + o + "\nlog:\n" + l);

            // The warning: at most one per flush, and together they count every eviction.
            long flushes = FlowFlood.FLOOD_FLOWS * FlowFlood.FLOOD_GAP / 1_000_000_000L / FLUSH_S + 1; // + the last one
            Matcher w = Pattern.compile("flow table full \\(max_flows " + MAX_FLOWS + "\\): evicted (\\d+) ").matcher(l);
            int warnings = 0;
            long evicted = 0;
            while (w.find()) {
                warnings++;
                evicted += Long.parseLong(w.group(1));
            }
            assertTrue(warnings >= 1 && warnings <= flushes, warnings + " eviction warnings for " + flushes + " flushes:\n" + l);
            // Every flood flow beyond the table's size is evicted (none idles out in 50 s with idle_ttl 300 s).
            assertTrue(evicted >= FlowFlood.FLOOD_FLOWS - MAX_FLOWS, "evicted " + evicted);
            assertTrue(evicted <= FlowFlood.FLOOD_FLOWS + FlowFlood.LEGIT + 1, "evicted " + evicted);

            // Gauges: flows.active within max_flows; the legitimate pair exactly 20 ms at (nearly) every flush.
            int legitAvg = 0, active = 0;
            long maxActive = 0;
            for (String g : lines) {
                if (g.startsWith("_sc|")) continue;   // the service check, not a gauge
                String[] parts = g.split("\\|");
                int colon = parts[0].lastIndexOf(':');
                String name = parts[0].substring(0, colon);
                double v = Double.parseDouble(parts[0].substring(colon + 1));
                String tags = parts.length > 2 ? parts[2] : "";
                if (name.equals("go_metro.flows.active")) {
                    active++;
                    maxActive = Math.max(maxActive, (long) v);
                    assertTrue(v <= MAX_FLOWS, "flows.active " + v + " over max_flows " + MAX_FLOWS);
                } else if (name.startsWith("system.net.tcp.rtt")) {
                    assertTrue(tags.contains("dst:10.2.0.1") && tags.contains("src:10.1.0.1"), "a gauge for a pair with no RTT: " + g);
                    if (!name.endsWith(".jitter")) assertEquals(20.0, v, 0.2, g);
                    if (name.equals("system.net.tcp.rtt.avg")) legitAvg++;
                }
            }
            assertTrue(active >= flushes - 1, active + " flows.active gauges for " + flushes + " flushes");
            assertTrue(legitAvg >= flushes - 1, "the legitimate pair reported at " + legitAvg + " of " + flushes + " flushes");

            Matcher rss = Pattern.compile("Maximum resident set size \\(kbytes\\): (\\d+)").matcher(o);
            assertTrue(rss.find(), "GNU time's report:\n" + o);
            long peakKb = Long.parseLong(rss.group(1));
            long heapPeakMb = 0;
            Matcher gc = Pattern.compile("(\\d+)M->(\\d+)M\\((\\d+)M\\)").matcher(Files.exists(gcLog) ? Files.readString(gcLog) : "");
            while (gc.find()) heapPeakMb = Math.max(heapPeakMb, Long.parseLong(gc.group(1)));
            System.out.printf(Locale.ROOT, "FlowFloodDaemonIT: %d flows + %d legit (%d requests each) in %d s of packets, max_flows %d: "
                            + "%d eviction warnings for %d flushes, %d evicted, max flows.active %d, legit rtt.avg gauges %d (all 20.0 ms), "
                            + "peak RSS %.1f MB (limit %d MB), heap peak before GC %d MB, log %d bytes%n",
                    FlowFlood.FLOOD_FLOWS, FlowFlood.LEGIT, requests, FlowFlood.FLOOD_FLOWS * FlowFlood.FLOOD_GAP / 1_000_000_000L,
                    MAX_FLOWS, warnings, flushes, evicted, maxActive, legitAvg, peakKb / 1024.0, RSS_LIMIT_KB / 1024,
                    heapPeakMb, Files.size(log));
            assertTrue(peakKb <= RSS_LIMIT_KB, "peak RSS " + peakKb + " KB over " + RSS_LIMIT_KB + " KB");
        }
    }

    /**
     * Two instances flooded at once with max_flows unset: 2 x 100 000 connections do not fit the
     * daemon's heap, so it lowers each table to what fits (app/HeapBudget) and says so, instead of
     * dying of out-of-memory in a restart loop. Both replays run to their end with exit 0.
     */
    @Test
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void twoInstancesFloodedAtOnceFitTheHeap() throws Exception {
        Path launcher = Path.of(System.getProperty("basedir", ".")).resolve("target/go-metro/bin/go-metro");
        assumeTrue(Files.isExecutable(launcher), "needs the packaged daemon (mvn package)");
        Path a = dir.resolve("flood-a.pcap"), b = dir.resolve("flood-b.pcap");
        FlowFlood.generate(a, 42);
        Files.copy(a, b);
        Path log = dir.resolve("go-metro.log"), out = dir.resolve("out.txt");
        try (DatagramSocket statsd = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            statsd.setSoTimeout(200);
            statsd.setReceiveBufferSize(4 << 20);
            Path cfg = dir.resolve("go-metro.yaml");
            Files.writeString(cfg, """
                    init_config:
                      statsd_ip: 127.0.0.1
                      statsd_port: %d
                      flush_interval: %d
                    instances:
                      - interface: file
                        pcap: %s
                        ips: [10.2.0.1, 10.9.0.1, 10.2.0.9]
                        tags: [replay:a]
                      - interface: file
                        pcap: %s
                        ips: [10.2.0.1, 10.9.0.1, 10.2.0.9]
                        tags: [replay:b]
                    """.formatted(statsd.getLocalPort(), FLUSH_S, a, b));
            Process p = new ProcessBuilder(GoMetroCommand.command("-cfg=" + cfg, "-log=" + log))
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            long maxActive = 0;
            byte[] buf = new byte[65536];
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (System.nanoTime() < deadline) {
                DatagramPacket d = new DatagramPacket(buf, buf.length);
                try {
                    statsd.receive(d);
                    for (String g : new String(buf, 0, d.getLength(), StandardCharsets.UTF_8).split("\n")) {
                        if (g.startsWith("go_metro.flows.active:")) {
                            maxActive = Math.max(maxActive, (long) Double.parseDouble(g.substring(22, g.indexOf('|'))));
                        }
                    }
                } catch (SocketTimeoutException e) {
                    if (!p.isAlive()) break;
                }
            }
            assertTrue(p.waitFor(10, TimeUnit.SECONDS), "the daemon ends at the end of both files");
            String l = Files.readString(log), o = Files.readString(out);
            assertEquals(0, p.exitValue(), "exit code (3 would be out of memory); output:\n" + o + "\nlog:\n" + l);
            Matcher m = Pattern.compile("max_flows is not set: (\\d+) connections per instance fit 2 instances").matcher(l);
            assertTrue(m.find(), "the log says what max_flows became:\n" + l);
            long fitted = Long.parseLong(m.group(1));
            assertTrue(fitted < TrackerConfig.defaults().maxFlows() && fitted > 10_000, "fitted " + fitted);
            assertEquals(fitted, maxActive, "each table fills to the fitted max_flows and no further");
            assertTrue(l.contains("flow table full (max_flows " + fitted + ")"), l);
            assertTrue(l.lines().filter(x -> x.contains("end of capture file")).count() == 2, l);
            System.out.printf(Locale.ROOT, "FlowFloodDaemonIT: two instances flooded at once: max_flows fitted to %d each, "
                    + "max flows.active %d, exit 0%n", fitted, maxActive);
        }
    }
}
