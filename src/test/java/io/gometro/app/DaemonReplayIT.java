package io.gometro.app;

import static io.gometro.app.DaemonHarness.Gauge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gometro.lab.Cmd;
import io.gometro.lab.GoMetroCommand;
import io.gometro.lab.LabTools;
import io.gometro.report.StatsdReporter;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The daemon process replaying a fixture ({@code interface: file}) sends the same RTT figures that analysis mode
 * ({@code -pcap -local -json}) prints for that flow, through a real UDP socket, and exits 0 at the end of the file.
 * Both share the decode and tracker code; this pins the daemon's wiring (local policy, filter, reporter) to it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DaemonReplayIT {

    @ParameterizedTest(name = "{0}")
    @CsvSource({"test_scp.pcap, 10.42.31.222, 162.243.251.92", "test_tcp.pcap, 192.168.1.116, 107.6.106.82"})
    void daemonGaugesEqualAnalysisMode(String fixture, String local, String peer, @TempDir Path dir) throws Exception {
        Path pcap = io.gometro.testutil.Shared.fixture(fixture);
        try (DatagramSocket udp = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            udp.setSoTimeout(200);
            Path cfg = DaemonHarness.write(dir.resolve("replay.yaml"), """
                    init_config:
                      statsd_ip: 127.0.0.1
                      statsd_port: %d
                      log_to_file: false
                    instances:
                      - interface: file
                        pcap: "%s"
                        ips: ["%s"]
                        tags: [env:replay]
                    """.formatted(udp.getLocalPort(), pcap, peer));
            Cmd.Result r = Cmd.run(Duration.ofSeconds(60), DaemonHarness.daemonCommand("-cfg=" + cfg));
            assertEquals(0, r.exitCode(), "the daemon at the end of " + fixture + ":\n" + r.stdout() + r.stderr());
            assertTrue(r.stdout().contains("end of capture file"), r.stdout());
            DaemonHarness.assertWholeLogLines(r.stdout(), "stdout log");

            StringBuilder received = new StringBuilder();
            byte[] buf = new byte[65536];
            while (true) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    udp.receive(p);
                } catch (SocketTimeoutException e) {
                    break; // the process has exited: everything it sent is already queued here
                }
                received.append(new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8)).append('\n');
            }
            List<Gauge> all = DaemonHarness.gauges(received.toString());

            List<GoMetroCommand.Flow> flows = GoMetroCommand.analyze(pcap, local).stream()
                    .filter(f -> GoMetroCommand.Flow.host(f.src()).equals(local)
                            && GoMetroCommand.Flow.host(f.dst()).equals(peer)).toList();
            assertEquals(1, flows.size(), "analysis mode flows " + local + " -> " + peer + ": " + flows);
            GoMetroCommand.Flow f = flows.get(0);

            Set<String> tags = Set.of("env:replay", "iface:file", "src:" + local, "dst:" + peer);
            assertLast(all, StatsdReporter.RTT, tags, f.num("rtt_ms"));
            assertLast(all, StatsdReporter.RTT_AVG, tags, f.num("avg_ms"));
            assertLast(all, StatsdReporter.RTT_JITTER, tags, f.num("jitter_ms"));
            List<Gauge> processed = DaemonHarness.named(all, StatsdReporter.PACKETS);
            assertTrue(!processed.isEmpty() && processed.get(processed.size() - 1).value() > 0, "processed: " + all);
            System.out.printf("replay %s: daemon rtt/avg/jitter %s/%s/%s ms, -json %.6f/%.6f/%.6f ms (%d samples)%n",
                    fixture, lastValue(all, StatsdReporter.RTT), lastValue(all, StatsdReporter.RTT_AVG),
                    lastValue(all, StatsdReporter.RTT_JITTER), f.num("rtt_ms"), f.num("avg_ms"), f.num("jitter_ms"), f.samples());
        }
    }

    /**
     * {@code -report=console -json}: the same figures on stdout, one JSON object per pair and flush,
     * and not one datagram to DogStatsD, though the config names a port that listens.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"test_scp.pcap, 10.42.31.222, 162.243.251.92"})
    void consoleReportPrintsWhatDogStatsdWouldGet(String fixture, String local, String peer, @TempDir Path dir)
            throws Exception {
        Path pcap = io.gometro.testutil.Shared.fixture(fixture);
        try (DatagramSocket udp = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            udp.setSoTimeout(500);
            Path log = dir.resolve("go-metro.log");
            Path cfg = DaemonHarness.write(dir.resolve("replay.yaml"), """
                    init_config:
                      statsd_ip: 127.0.0.1
                      statsd_port: %d
                    instances:
                      - interface: file
                        pcap: "%s"
                        ips: ["%s"]
                    """.formatted(udp.getLocalPort(), pcap, peer));
            Cmd.Result r = Cmd.run(Duration.ofSeconds(60),
                    DaemonHarness.daemonCommand("-cfg=" + cfg, "-log=" + log, "-report=console", "-json"));
            assertEquals(0, r.exitCode(), "the daemon at the end of " + fixture + ":\n" + r.stdout() + r.stderr());
            assertTrue(Files.readString(log).contains("DogStatsD not used (-report=console)"), Files.readString(log));

            List<GoMetroCommand.Flow> printed = GoMetroCommand.parseJsonLines(r.stdout());
            assertTrue(!printed.isEmpty() && printed.size() == r.stdout().lines().count(),
                    "stdout holds only the report's JSON lines:\n" + r.stdout());
            GoMetroCommand.Flow last = printed.get(printed.size() - 1);
            assertEquals(local, last.fields().get("src"));
            assertEquals(peer, last.fields().get("dst"));
            assertEquals("file", last.fields().get("iface"));

            GoMetroCommand.Flow f = GoMetroCommand.analyze(pcap, local).stream()
                    .filter(x -> GoMetroCommand.Flow.host(x.src()).equals(local)
                            && GoMetroCommand.Flow.host(x.dst()).equals(peer)).findFirst().orElseThrow();
            for (String k : List.of("rtt_ms", "avg_ms", "jitter_ms"))
                assertEquals(f.num(k), last.num(k), Math.max(1e-5, Math.abs(f.num(k)) * 1e-6), k + " vs analysis mode");

            byte[] buf = new byte[65536];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            assertThrows(SocketTimeoutException.class, () -> udp.receive(p), "nothing is sent to DogStatsD");
            System.out.printf("console %s: %d lines, last avg %.6f ms%n", fixture, printed.size(), last.num("avg_ms"));
        }
    }

    static double lastValue(List<Gauge> all, String name) {
        List<Gauge> g = DaemonHarness.named(all, name);
        return g.get(g.size() - 1).value();
    }

    /** The last gauge of that name (the final flush) carries exactly these tags and the analysis value. */
    static void assertLast(List<Gauge> all, String name, Set<String> tags, double expected) {
        List<Gauge> g = DaemonHarness.named(all, name);
        assertTrue(!g.isEmpty(), "no " + name + " received: " + all);
        Gauge last = g.get(g.size() - 1);
        assertEquals(tags, last.tags(), name + " tags");
        // Both print the same double; the DogStatsD client and the JSON writer may round differently.
        assertEquals(expected, last.value(), Math.max(1e-5, Math.abs(expected) * 1e-6), name + " vs -json");
    }
}
