package io.gometro.report;

import io.gometro.flow.Flow;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The console sink prints what the DogStatsD sink sends, from the same report. */
class ConsoleReportTest {
    static final long MS = 1_000_000L, S = 1_000_000_000L;

    /** One flush, through a Reporter, of one flow with three samples (10, 20, 30 ms) to a named peer. */
    static String flush(boolean json) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(b, true, StandardCharsets.UTF_8);
        Reporter r = new Reporter("eth0", Map.of(InetAddress.getByName("10.0.0.2"), "peer.example"), true,
                StatsdReporterTest.counters(1234, 3, 2, 7), List.of(new ConsoleReport(out, json)));
        Flow f = StatsdReporterTest.flow(StatsdReporterTest.LOCAL, 40000, StatsdReporterTest.PEER, 443);
        f.recordSample(10 * MS, 1 * S);
        f.recordSample(20 * MS, 2 * S);
        f.recordSample(30 * MS, 3 * S);
        Flow quiet = StatsdReporterTest.flow(StatsdReporterTest.LOCAL, 40001, StatsdReporterTest.OTHER, 443);
        r.onFlush(30 * S, List.of(f, quiet));
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aTableUnderALineNamingTheInterfaceWithTheFiguresDogStatsdGets() throws Exception {
        List<String> lines = flush(false).lines().toList();
        assertEquals(3, lines.size(), String.join("\n", lines));
        assertTrue(lines.get(0).matches("\\d{4}-\\d\\d-\\d\\dT\\S+Z iface eth0: 1 pairs from 1 flows, 3 samples; "
                + "1234 packets, 5 dropped, 7 active flows.*"), lines.get(0));
        assertEquals(List.of("src", "dst", "samples", "last", "avg", "jitter", "max"),
                Arrays.asList(lines.get(1).trim().split("\\s+")));
        // RFC 6298 by hand, as StatsdReporterTest: srtt 13.59375, rttvar 9.375; the last sample 30, max 30
        assertEquals(List.of("10.0.0.1", "peer.example", "3", "30.000", "13.594", "9.375", "30.000"),
                Arrays.asList(lines.get(2).trim().split("\\s+")));
        assertEquals(lines.get(1).length(), lines.get(2).length(), "aligned");
    }

    @Test
    void jsonIsOneObjectPerPair() throws Exception {
        List<String> lines = flush(true).lines().toList();
        assertEquals(1, lines.size(), lines.toString());
        Map<String, Object> o = AnalysisReportTest.MiniJson.parseFlat(lines.get(0));
        assertEquals(List.of("time", "iface", "src", "dst", "samples", "rtt_ms", "avg_ms", "jitter_ms", "max_ms"),
                new ArrayList<>(o.keySet()));
        assertEquals("eth0", o.get("iface"));
        assertEquals("10.0.0.1", o.get("src"));
        assertEquals("peer.example", o.get("dst"));
        assertEquals(3.0, o.get("samples"));
        assertEquals(30.0, (double) o.get("rtt_ms"), 1e-6);
        assertEquals(13.59375, (double) o.get("avg_ms"), 1e-6);
        assertEquals(9.375, (double) o.get("jitter_ms"), 1e-6);
        assertEquals(30.0, (double) o.get("max_ms"), 1e-6);
    }

    @Test
    void percentilesAddTheirColumnsAndKeys() {
        PairReport r = new PairReport("eth1", 0, null, List.of(), 1, 2, true, List.of(
                new PairReport.Row("a", "b", 2, 2 * MS, 1.5 * MS, 0.5 * MS, 2 * MS, 1.5 * MS, 2 * MS, 2 * MS),
                new PairReport.Row("a", "c", 1, MS, MS, 0, MS, Double.NaN, Double.NaN, Double.NaN)));
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        new ConsoleReport(new PrintStream(b, true, StandardCharsets.UTF_8), false).accept(r);
        List<String> lines = b.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals("1970-01-01T00:00:00Z iface eth1: 2 pairs from 1 flows, 2 samples; ?", lines.get(0));
        assertEquals(List.of("src", "dst", "samples", "last", "avg", "jitter", "max", "median", "p95", "p99"),
                Arrays.asList(lines.get(1).trim().split("\\s+")));
        assertEquals(List.of("a", "c", "1", "1.000", "1.000", "0.000", "1.000", "-", "-", "-"),
                Arrays.asList(lines.get(3).trim().split("\\s+")));

        b.reset();
        new ConsoleReport(new PrintStream(b, true, StandardCharsets.UTF_8), true).accept(r);
        Map<String, Object> o = AnalysisReportTest.MiniJson.parseFlat(b.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow());
        assertEquals(1.5, (double) o.get("median_ms"), 1e-9);
        assertEquals(2.0, (double) o.get("p99_ms"), 1e-9);
    }

    @Test
    void aFlushWithoutPairsIsOneLine() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        new ConsoleReport(new PrintStream(b, true, StandardCharsets.UTF_8), false)
                .accept(new PairReport("eth0", 0, null, List.of(), 0, 0, false, List.of()));
        assertEquals(List.of("1970-01-01T00:00:00Z iface eth0: 0 pairs from 0 flows, 0 samples; ?"),
                b.toString(StandardCharsets.UTF_8).lines().toList());
        b.reset();
        new ConsoleReport(new PrintStream(b, true, StandardCharsets.UTF_8), true)
                .accept(new PairReport("eth0", 0, null, List.of(), 0, 0, false, List.of()));
        assertEquals("", b.toString(StandardCharsets.UTF_8));
    }
}
