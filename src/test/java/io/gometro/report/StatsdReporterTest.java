package io.gometro.report;

import io.gometro.flow.Flow;
import io.gometro.report.UdpStatsd.Gauge;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.*;

class StatsdReporterTest {
    static final long MS = 1_000_000L, S = 1_000_000_000L;
    static final double EPS = 1e-6; // ms; the client writes up to 6 decimals

    static long v4(int a, int b, int c, int d) {
        return 0x0000_ffff_0000_0000L | ((long) a << 24) | ((long) b << 16) | ((long) c << 8) | d;
    }

    static final long LOCAL = v4(10, 0, 0, 1), PEER = v4(10, 0, 0, 2), OTHER = v4(10, 0, 0, 3);
    static final AtomicInteger IDS = new AtomicInteger();

    static Flow flow(long src, int sport, long dst, int dport) {
        return new Flow(IDS.incrementAndGet(), 0, src, sport, 0, dst, dport);
    }

    static Supplier<CaptureCounters> counters(long packets, long kd, long ifd, long active) {
        return () -> new CaptureCounters(packets, kd, ifd, active, 0, 0);
    }

    /** The daemon's report path as Sniffer builds it: DogStatsD first, then any other sink. */
    static Reporter reporter(StatsdSink sink, String iface, List<String> tags, Map<InetAddress, String> names,
                             boolean soften, Supplier<CaptureCounters> counters, ReportSink... more) {
        List<ReportSink> sinks = new java.util.ArrayList<>();
        sinks.add(new StatsdReporter(sink, iface, tags));
        sinks.addAll(List.of(more));
        return new Reporter(iface, names, soften, counters, sinks);
    }

    static Set<String> tags(String... t) {
        return Set.of(t);
    }

    @Test
    void oneFlowGivesThreeGaugesAndTheOperationalOnes() throws Exception {
        try (UdpStatsd udp = new UdpStatsd(); StatsdSink sink = new StatsdSink("127.0.0.1", udp.port())) {
            Map<InetAddress, String> names = Map.of(InetAddress.getByName("10.0.0.2"), "peer.example");
            Reporter r = reporter(sink, "eth0", List.of("env:test", "role:db"), names, true,
                    counters(1234, 3, 2, 7));
            Flow f = flow(LOCAL, 40000, PEER, 443);
            f.recordSample(10 * MS, 1 * S);
            f.recordSample(20 * MS, 2 * S);
            f.recordSample(30 * MS, 3 * S);
            r.onFlush(30 * S, List.of(f));

            List<Gauge> g = udp.await(6);
            Set<String> pairTags = tags("src:10.0.0.1", "dst:peer.example", "iface:eth0", "env:test", "role:db");
            Set<String> opsTags = tags("iface:eth0", "env:test", "role:db");
            // RFC 6298 by hand: 10 -> srtt 10, var 5; 20 -> var 6.25, srtt 11.25; 30 -> var 9.375, srtt 13.59375
            assertEquals(30.0, UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt")).value(), EPS);
            Gauge avg = UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt.avg"));
            assertEquals(13.59375, avg.value(), EPS);
            assertEquals(pairTags, avg.tags());
            Gauge jit = UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt.jitter"));
            assertEquals(9.375, jit.value(), EPS);
            assertEquals(pairTags, jit.tags());
            assertEquals(pairTags, UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt")).tags());

            Gauge pk = UdpStatsd.only(g, x -> x.name().equals("go_metro.packets.processed"));
            assertEquals(1234, pk.value());
            assertEquals(opsTags, pk.tags());
            Gauge dr = UdpStatsd.only(g, x -> x.name().equals("go_metro.packets.dropped"));
            assertEquals(5, dr.value());
            assertEquals(opsTags, dr.tags());
            Gauge ac = UdpStatsd.only(g, x -> x.name().equals("go_metro.flows.active"));
            assertEquals(7, ac.value());
            assertEquals(opsTags, ac.tags());
            assertTrue(udp.drain(200).isEmpty(), "nothing else is sent");
        }
    }

    /**
     * Percentiles through a real tracker: 100 request/response exchanges of 10.0.0.1 with 10.0.0.2,
     * answered after 1, 2, ... 100 ms, decoded from built frames. DDSketch's 1% relative accuracy
     * bounds the quantiles; max and count are exact.
     */
    @Test
    void percentilesAreOptInAndComeFromTheIntervalsSamples() throws Exception {
        for (boolean on : new boolean[] {false, true}) {
            try (UdpStatsd udp = new UdpStatsd(); StatsdSink sink = new StatsdSink("127.0.0.1", udp.port())) {
                Reporter r = reporter(sink, "eth0", List.of(), Map.of(), true, counters(0, 0, 0, 1));
                io.gometro.flow.FlowTracker t = new io.gometro.flow.FlowTracker(io.gometro.flow.TrackerConfig.defaults(),
                        io.gometro.flow.LocalPolicy.of(io.gometro.net.Addresses.parse("10.0.0.1")), r,
                        io.gometro.flow.FlowTracker.Schedule.RUNNER_CLOCK);
                if (on) {
                    io.gometro.flow.IntervalSamples samples = new io.gometro.flow.IntervalSamples();
                    t.keepIntervalSamples(samples);
                    r.sendPercentiles(samples);
                }
                io.gometro.decode.PacketView v = new io.gometro.decode.PacketView();
                long ts = S;
                int seq = 1, ack = 1;
                for (int i = 1; i <= 100; i++) {
                    byte[] req = io.gometro.testutil.Packets.tcp().seq(seq).ack(ack).payload(100).flags(0x18).ethernet();
                    v.decode(java.lang.foreign.MemorySegment.ofArray(req), 0, req.length, io.gometro.decode.LinkType.ETHERNET);
                    t.onPacket(v, ts);
                    seq += 100;
                    byte[] resp = io.gometro.testutil.Packets.tcp().src("10.0.0.2", 80).dst("10.0.0.1", 40000)
                            .seq(ack).ack(seq).payload(10).flags(0x18).ethernet();
                    v.decode(java.lang.foreign.MemorySegment.ofArray(resp), 0, resp.length, io.gometro.decode.LinkType.ETHERNET);
                    t.onPacket(v, ts + i * MS);
                    ack += 10;
                    ts += 200 * MS;
                }
                t.advanceTo(ts + 30 * S);
                t.flush();
                List<Gauge> g = udp.drain(500);
                List<String> names = g.stream().map(Gauge::name).distinct().sorted().toList();
                if (!on) {
                    assertEquals(List.of("go_metro.flows.active", "go_metro.packets.dropped", "go_metro.packets.processed",
                            "system.net.tcp.rtt", "system.net.tcp.rtt.avg", "system.net.tcp.rtt.jitter"), names,
                            "off by default: no percentile metric is sent");
                    continue;
                }
                Set<String> tags = tags("src:10.0.0.1", "dst:10.0.0.2", "iface:eth0");
                Gauge median = UdpStatsd.only(g, x -> x.name().equals(StatsdReporter.RTT_MEDIAN));
                assertEquals(tags, median.tags());
                // 100 samples 1..100 ms: the 0.5 quantile is the 50th or 51st (DDSketch rank rule), within 1%
                assertTrue(median.value() >= 50 * 0.99 && median.value() <= 51 * 1.01, median.toString());
                double p95 = UdpStatsd.only(g, x -> x.name().equals(StatsdReporter.RTT_P95)).value();
                assertTrue(p95 >= 95 * 0.99 && p95 <= 96 * 1.01, "p95 " + p95);
                double p99 = UdpStatsd.only(g, x -> x.name().equals(StatsdReporter.RTT_P99)).value();
                assertTrue(p99 >= 99 * 0.99 && p99 <= 100 * 1.01, "p99 " + p99);
                assertEquals(100.0, UdpStatsd.only(g, x -> x.name().equals(StatsdReporter.RTT_MAX)).value(), EPS);
                assertEquals(100.0, UdpStatsd.only(g, x -> x.name().equals(StatsdReporter.RTT_COUNT)).value(), EPS);
            }
        }
    }

    @Test
    void eachFlushSaysTheInstanceCapturesAndAFailureSaysWhyItCannot() throws Exception {
        try (UdpStatsd udp = new UdpStatsd(); StatsdSink sink = new StatsdSink("127.0.0.1", udp.port())) {
            Reporter r = reporter(sink, "eth0", List.of("env:test"), Map.of(), true, counters(1, 0, 0, 0));
            r.onFlush(30 * S, List.of());
            // DogStatsD's service check datagram: _sc|NAME|STATUS|#TAGS, 0 = OK
            assertEquals(List.of("_sc|go_metro.can_capture|0|#env:test,iface:eth0"), udp.serviceChecks(2_000));
            java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("status");
            StatusBoard.Slot slot = new StatusBoard(dir.resolve("status.json"), 30, "c", "d", "v").slot(
                    new StatusBoard.InstanceStatus("instances[0]", "eth0", "capturing", null, 1, 0, 0, 0, 0, 0, List.of(), List.of()));
            StatsdReporter.cannotCapture(sink, slot, List.of("env:test"),
                    "cannot capture on interface eth0: no such interface");
            assertEquals("failed", slot.get().state());
            assertEquals("cannot capture on interface eth0: no such interface", slot.get().reason());
            java.nio.file.Files.delete(dir.resolve("status.json"));
            java.nio.file.Files.delete(dir);
            // 2 = CRITICAL, with the reason as its message
            assertEquals(List.of("_sc|go_metro.can_capture|2|#env:test,iface:eth0|m:cannot capture on interface eth0: "
                    + "no such interface"), udp.serviceChecks(2_000));
        }
    }

    @Test
    void aFlushPublishesItsPairsAndCountersToTheStatusFile() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("status");
        java.nio.file.Path file = dir.resolve("status.json");
        try (UdpStatsd udp = new UdpStatsd(); StatsdSink sink = new StatsdSink("127.0.0.1", udp.port())) {
            StatusBoard board = new StatusBoard(file, 30, "/etc/x.yaml", "udp://127.0.0.1:8125 (default)", "9.9");
            StatusBoard.Slot slot = board.slot(new StatusBoard.InstanceStatus("instances[0]", "eth0", "starting", null,
                    1, 0, 0, 0, 0, 0, List.of(), List.of()));
            Reporter r = reporter(sink, "eth0", List.of(), Map.of(InetAddress.getByName("10.0.0.2"),
                    "peer.example"), true, counters(1234, 3, 2, 7), slot);
            r.setWhitelist(List.of("10.0.0.2 (peer.example)"));
            Flow f = flow(LOCAL, 40000, PEER, 443);
            f.recordSample(10 * MS, 1 * S);
            f.recordSample(20 * MS, 2 * S);
            r.onFlush(30 * S, List.of(f));
            StatusBoard.InstanceStatus st = slot.get();
            assertEquals("capturing", st.state());
            assertEquals(1234, st.packets());
            assertEquals(5, st.dropped(), "kernel plus interface drops, as the gauge");
            assertEquals(7, st.activeFlows());
            assertEquals(1, st.pairsReported());
            assertEquals(List.of(new StatusBoard.PairRow("10.0.0.1", "peer.example", 20.0, 11.25, 6.25)), st.pairs());
            String json = java.nio.file.Files.readString(file);
            assertTrue(json.contains("\"rtt_ms\": 20.000, \"avg_ms\": 11.250, \"jitter_ms\": 6.250"), json);
            assertTrue(json.contains("\"whitelist\": [\"10.0.0.2 (peer.example)\"]"), json);
            board.stopped();
            assertTrue(java.nio.file.Files.readString(file).contains("\"running\": false"));
            assertEquals("stopped", slot.get().state());
        } finally {
            try (var w = java.nio.file.Files.walk(dir)) {
                w.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
            }
        }
    }

    @Test
    void flowsToOnePeerShareOneTagSetWeightedByFreshSamples() throws Exception {
        try (UdpStatsd udp = new UdpStatsd(); StatsdSink sink = new StatsdSink("127.0.0.1", udp.port())) {
            Reporter r = reporter(sink, "eth1", List.of(), Map.of(), true, counters(0, 0, 0, 3));
            Flow a = flow(LOCAL, 40001, PEER, 443);
            a.recordSample(10 * MS, 1 * S);   // srtt 10, var 5
            a.recordSample(10 * MS, 2 * S);   // srtt 10, var 3.75
            Flow b = flow(LOCAL, 40002, PEER, 8443);
            b.recordSample(40 * MS, 3 * S);   // srtt 40, var 20 — the most recent sample of the pair
            Flow c = flow(LOCAL, 40003, OTHER, 443);
            c.recordSample(5 * MS, 1 * S);
            r.onFlush(30 * S, List.of(a, b, c));

            List<Gauge> g = udp.await(9);
            Set<String> peer = tags("src:10.0.0.1", "dst:10.0.0.2", "iface:eth1");
            Set<String> other = tags("src:10.0.0.1", "dst:10.0.0.3", "iface:eth1");
            assertEquals(40.0, UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt") && x.tags().equals(peer)).value(), EPS);
            assertEquals((2 * 10 + 40) / 3.0,
                    UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt.avg") && x.tags().equals(peer)).value(), EPS);
            assertEquals((2 * 3.75 + 20) / 3.0,
                    UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt.jitter") && x.tags().equals(peer)).value(), EPS);
            assertEquals(5.0, UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt") && x.tags().equals(other)).value(), EPS);
            assertEquals(2.5, UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt.jitter") && x.tags().equals(other)).value(), EPS);

            // Next interval: only a has new samples; its newest sample now gives the last value,
            // and b (not fresh) no longer weighs in.
            a.clearFresh(); b.clearFresh(); c.clearFresh();
            a.recordSample(26 * MS, 4 * S);   // srtt 12, var 0.75*3.75 + 0.25*16 = 6.8125
            r.onFlush(60 * S, List.of(a));
            List<Gauge> g2 = udp.await(6);
            assertEquals(26.0, UdpStatsd.only(g2, x -> x.name().equals("system.net.tcp.rtt")).value(), EPS);
            assertEquals(12.0, UdpStatsd.only(g2, x -> x.name().equals("system.net.tcp.rtt.avg")).value(), EPS);
            assertEquals(6.8125, UdpStatsd.only(g2, x -> x.name().equals("system.net.tcp.rtt.jitter")).value(), EPS);
        }
    }

    @Test
    void withoutSofteningAvgIsThePlainMeanOfTheIntervalsSamples() throws Exception {
        try (UdpStatsd udp = new UdpStatsd(); StatsdSink sink = new StatsdSink("127.0.0.1", udp.port())) {
            Reporter r = reporter(sink, "eth0", List.of(), Map.of(), false, counters(0, 0, 0, 0));
            Flow a = flow(LOCAL, 40001, PEER, 443);
            a.recordSample(100 * MS, 1 * S);
            a.clearFresh();                   // reported in an earlier interval
            a.recordSample(10 * MS, 2 * S);
            a.recordSample(20 * MS, 3 * S);
            Flow b = flow(LOCAL, 40002, PEER, 443);
            b.recordSample(60 * MS, 4 * S);
            r.onFlush(30 * S, List.of(a, b));
            List<Gauge> g = udp.await(6);
            assertEquals(30.0, UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt.avg")).value(), EPS);
            assertEquals(60.0, UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt")).value(), EPS);
            // jitter stays RTTVAR, weighted: a's var after 100,10,20 and b's 30
            double va = 50; double sa = 100;
            va = 0.75 * va + 0.25 * Math.abs(sa - 10); sa = 0.875 * sa + 0.125 * 10;
            va = 0.75 * va + 0.25 * Math.abs(sa - 20);
            assertEquals((2 * va + 30) / 3.0, UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt.jitter")).value(), EPS);
        }
    }

    @Test
    void anIpv6PeerWithoutANameIsTaggedWithItsCompressedAddress() throws Exception {
        try (UdpStatsd udp = new UdpStatsd(); StatsdSink sink = new StatsdSink("127.0.0.1", udp.port())) {
            InetAddress me = InetAddress.getByName("2001:db8::1");
            Reporter r = reporter(sink, "eth0", List.of(), Map.of(me, "me.example"), true, counters(0, 0, 0, 0));
            Flow f = new Flow(1, io.gometro.net.Addresses.hi(me), io.gometro.net.Addresses.lo(me), 5000,
                    0x2001_0db8_0000_0000L, 0x0000_0000_0000_0002L, 443);
            f.recordSample(2 * MS, S);
            r.onFlush(30 * S, List.of(f));
            Gauge rtt = UdpStatsd.only(udp.await(6), x -> x.name().equals("system.net.tcp.rtt"));
            assertEquals(tags("src:me.example", "dst:2001:db8::2", "iface:eth0"), rtt.tags());
        }
    }

    @Test
    void summaryAtInfoOncePerFlushAndFlowDetailOnlyAtDebug() throws Exception {
        try (UdpStatsd udp = new UdpStatsd(); StatsdSink sink = new StatsdSink("127.0.0.1", udp.port())) {
            Reporter r = reporter(sink, "eth0", List.of(), Map.of(), true, counters(10, 1, 0, 2));
            Flow a = flow(LOCAL, 1, PEER, 2), b = flow(LOCAL, 3, OTHER, 4);
            a.recordSample(MS, S);
            b.recordSample(MS, S);
            try (LogCapture log = new LogCapture(Level.INFO, StatsdReporter.class, StatsdSink.class)) {
                r.onFlush(30 * S, List.of(a, b));
                assertEquals(1, log.lines().size(), log.lines().toString());
                String line = log.lines().get(0).message();
                assertTrue(line.contains("2 pairs from 2 flows, 2 samples") && line.contains("10 packets, 1 dropped, 2 active flows"), line);
            }
            try (LogCapture log = new LogCapture(Level.DEBUG, Reporter.class, StatsdReporter.class, StatsdSink.class)) {
                r.onFlush(60 * S, List.of(a, b));
                assertEquals(2, log.lines().stream().filter(l -> l.level() == Level.DEBUG).count(), log.lines().toString());
                assertTrue(log.lines().stream().anyMatch(l -> l.message().contains("10.0.0.1:1 -> 10.0.0.2:2")));
            }
        }
    }

    @Test
    void aClosedPortNeitherThrowsNorSlowsTheFlush() throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        try (LogCapture log = new LogCapture(Level.INFO, StatsdReporter.class, StatsdSink.class);
             StatsdSink sink = new StatsdSink("127.0.0.1", port)) {
            Reporter r = reporter(sink, "eth0", List.of(), Map.of(), true, counters(0, 0, 0, 0));
            Flow f = flow(LOCAL, 1, PEER, 2);
            long worst = 0;
            for (int i = 1; i <= 5; i++) {
                f.clearFresh();
                f.recordSample(i * MS, i * S);
                long t = System.nanoTime();
                r.onFlush(i * 30 * S, List.of(f));
                worst = Math.max(worst, System.nanoTime() - t);
                Thread.sleep(50);
            }
            System.out.printf("closed port: slowest flush %.3f ms%n", worst / 1e6);
            // UDP to a closed port: the unconnected socket gets no error back; at most one line per flush.
            assertEquals(5, log.containing("reported 1 pairs").size());
            assertTrue(log.containing("send errors").size() <= 5, log.lines().toString());
        }
    }

    @Test
    void sendErrorsAreCountedAndLoggedOncePerFlush() throws Exception {
        // The kernel refuses a datagram to 255.255.255.255 without SO_BROADCAST (EACCES) before it
        // leaves the host: every send fails, deterministically, with no traffic.
        try (LogCapture log = new LogCapture(Level.INFO, StatsdReporter.class, StatsdSink.class);
             StatsdSink sink = new StatsdSink("255.255.255.255", 8125)) {
            Reporter r = reporter(sink, "eth0", List.of(), Map.of(), true, counters(0, 0, 0, 0));
            Flow f = flow(LOCAL, 1, PEER, 2);
            f.recordSample(MS, S);
            r.onFlush(30 * S, List.of(f));          // 6 gauges; the client packs them into 1..6 datagrams, each refused
            long deadline = System.nanoTime() + 5 * S;
            while (sink.pendingErrors() == 0 && System.nanoTime() < deadline) Thread.sleep(10);
            Thread.sleep(200);                      // let the sender finish the batch
            assertTrue(sink.pendingErrors() >= 1);
            assertTrue(log.containing("send errors").isEmpty(), "errors are logged at the next flush, not as they come");
            r.onFlush(60 * S, List.of());
            List<LogCapture.Line> err = log.containing("send errors");
            assertEquals(1, err.size(), log.lines().toString());
            assertTrue(err.get(0).message().startsWith("DogStatsD at udp://255.255.255.255:8125: "), err.get(0).message());
            assertTrue(err.get(0).message().matches(".*: \\d+ send errors since the last flush: java\\..*Exception.*"), err.get(0).message());
            assertEquals(Level.WARN, err.get(0).level());
            // That flush's own sends (3 operational gauges) fail too and show at the next one, once.
            Thread.sleep(300);
            r.onFlush(90 * S, List.of());
            assertEquals(2, log.containing("send errors").size());
        }
    }

    @Test
    void anUnresolvableHostIsLoggedAndRetriedAtMostOncePerFlush() throws Exception {
        try (LogCapture log = new LogCapture(Level.INFO, StatsdReporter.class, StatsdSink.class);
             StatsdSink sink = new StatsdSink("no-such-host.invalid", 8125)) {
            assertNull(sink.client());
            assertEquals(1, sink.attempts());
            assertEquals(1, log.containing("'no-such-host.invalid' (init_config.statsd_ip/statsd_port) cannot be resolved").size(), log.lines().toString());
            Reporter r = reporter(sink, "eth0", List.of(), Map.of(), true, counters(0, 0, 0, 0));
            Flow f = flow(LOCAL, 1, PEER, 2);
            f.recordSample(MS, S);
            r.onFlush(30 * S, List.of(f));
            awaitAttempts(sink, 2);
            assertTrue(log.containing("DogStatsD at udp://no-such-host.invalid:8125 unavailable").size() == 1, log.lines().toString());
            r.onFlush(60 * S, List.of());
            awaitAttempts(sink, 3);
            Thread.sleep(200);
            assertEquals(3, sink.attempts(), "no retry without a flush");
            assertEquals(2, log.containing("still cannot be resolved").size(), log.lines().toString());
        }
    }

    @Test
    void aHostThatBecomesResolvableGetsTheNextFlushesMetrics() throws Exception {
        try (UdpStatsd udp = new UdpStatsd()) {
            AtomicInteger calls = new AtomicInteger();
            StatsdSink.Resolver flaky = host -> {
                if (calls.incrementAndGet() == 1) throw new UnknownHostException(host + ": not yet");
                return InetAddress.getLoopbackAddress();
            };
            try (StatsdSink sink = new StatsdSink("statsd.test", udp.port(), flaky)) {
                assertNull(sink.client());
                Reporter r = reporter(sink, "eth0", List.of(), Map.of(), true, counters(5, 0, 0, 1));
                Flow f = flow(LOCAL, 1, PEER, 2);
                f.recordSample(7 * MS, S);
                r.onFlush(30 * S, List.of(f));      // starts the retry; this flush's values are not sent
                awaitAttempts(sink, 2);
                long deadline = System.nanoTime() + 5 * S;
                while (sink.client() == null && System.nanoTime() < deadline) Thread.sleep(10);
                assertNotNull(sink.client());
                r.onFlush(60 * S, List.of(f));
                List<Gauge> g = udp.await(6);
                assertEquals(7.0, UdpStatsd.only(g, x -> x.name().equals("system.net.tcp.rtt")).value(), EPS);
                assertEquals(5, UdpStatsd.only(g, x -> x.name().equals("go_metro.packets.processed")).value());
            }
        }
    }

    @Test
    void closeDeliversTheLastFlushAndStopsInBoundedTime() throws Exception {
        try (UdpStatsd udp = new UdpStatsd()) {
            StatsdSink sink = new StatsdSink("127.0.0.1", udp.port());
            Reporter r = reporter(sink, "eth0", List.of(), Map.of(), true, counters(1, 0, 0, 1));
            Flow[] flows = new Flow[50];
            for (int i = 0; i < flows.length; i++) {
                flows[i] = flow(LOCAL, 1000 + i, v4(10, 1, i / 250, i % 250 + 1), 443);
                flows[i].recordSample((i + 1) * MS, S);
            }
            r.onFlush(30 * S, List.of(flows));
            long t = System.nanoTime();
            sink.close();
            double closeMs = (System.nanoTime() - t) / 1e6;
            System.out.printf("close after a 50-pair flush: %.1f ms%n", closeMs);
            assertTrue(closeMs < 5000, "close took " + closeMs + " ms");
            assertNull(sink.client());
            List<Gauge> g = udp.await(50 * 3 + 3);
            assertEquals(50, g.stream().filter(x -> x.name().equals("system.net.tcp.rtt")).count());
            r.onFlush(60 * S, List.of(flows));  // after close: nothing sent, nothing thrown
            assertTrue(udp.drain(200).isEmpty());
        }
    }

    /** {@code n} flows from LOCAL, each to its own peer, one sample each. */
    static List<Flow> manyPairs(int n) {
        Flow[] flows = new Flow[n];
        for (int i = 0; i < n; i++) {
            flows[i] = flow(LOCAL, 1000 + i % 50000, v4(10, 2 + i / 62500, i / 250 % 250, i % 250 + 1), 443);
            flows[i].recordSample((i % 100 + 1) * MS, S);
        }
        return List.of(flows);
    }

    @Test
    void aFlushOfThousandsOfPairsArrivesWhole() throws Exception {
        // Three gauges per pair; the client's default queue (4,096) dropped all past ~1,365 pairs.
        int n = 3000;
        // ~600 datagrams at once: a receive buffer that holds them all, so only the client can lose any
        try (UdpStatsd udp = new UdpStatsd(16 << 20); StatsdSink sink = new StatsdSink("127.0.0.1", udp.port())) {
            Reporter r = reporter(sink, "eth0", List.of(), Map.of(), true, counters(1, 0, 0, n));
            try (LogCapture log = new LogCapture(Level.WARN, StatsdReporter.class)) {
                r.onFlush(30 * S, manyPairs(n));
                assertEquals(List.of(), log.lines(), "no overflow warning for " + n + " pairs");
            }
            List<Gauge> g = udp.await(n * 3 + 3);
            assertEquals(n, g.stream().filter(x -> x.name().equals("system.net.tcp.rtt.avg")).map(Gauge::tags).distinct().count());
            assertEquals(n, UdpStatsd.only(g, x -> x.name().equals("go_metro.flows.active")).value());
        }
    }

    @Test
    void moreGaugesThanTheQueueHoldsAreWarnedOfAndTheOperationalOnesStillArrive() throws Exception {
        int n = StatsdSink.QUEUE_GAUGES / 3 + 100;
        try (UdpStatsd udp = new UdpStatsd(); StatsdSink sink = new StatsdSink("127.0.0.1", udp.port())) {
            Reporter r = reporter(sink, "eth0", List.of(), Map.of(), true, counters(42, 0, 0, n));
            try (LogCapture log = new LogCapture(Level.WARN, StatsdReporter.class)) {
                r.onFlush(30 * S, manyPairs(n));
                assertEquals(1, log.lines().size(), log.lines().toString());
                String w = log.lines().get(0).message();
                assertTrue(w.contains(n + " (src, dst) pairs") && w.contains("narrow ips/hosts"), w);
            }
            // sent before the pairs, so they are queued whatever happens to the rest
            List<Gauge> first = udp.await(3);
            assertEquals(Set.of("go_metro.packets.processed", "go_metro.packets.dropped", "go_metro.flows.active"),
                    Set.copyOf(first.stream().map(Gauge::name).toList()));
        }
    }

    static void awaitAttempts(StatsdSink sink, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 5 * S;
        while (sink.attempts() < n && System.nanoTime() < deadline) Thread.sleep(10);
        assertEquals(n, sink.attempts());
        // let the attempt finish (log its result) before the caller looks
        while (sink.retrying() && System.nanoTime() < deadline) Thread.sleep(10);
    }
}
