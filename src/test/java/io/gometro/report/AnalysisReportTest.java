package io.gometro.report;

import io.gometro.flow.Flow;
import io.gometro.flow.FlowListener.Removal;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class AnalysisReportTest {
    static final long MS = 1_000_000L, S = 1_000_000_000L;
    static final long V6_HI = 0x2001_0db8_0000_0000L;

    static long v4(int a, int b, int c, int d) {
        return 0x0000_ffff_0000_0000L | ((long) a << 24) | ((long) b << 16) | ((long) c << 8) | d;
    }

    /** Flows removed in an order other than their appearance: 2 (uniform 1..100 ms), 3 (no samples), 1 (IPv6). */
    static AnalysisReport report() {
        AnalysisReport r = new AnalysisReport();
        Flow v6 = new Flow(1, V6_HI, 1, 5000, V6_HI, 2, 443);
        v6.keepSketch();
        Flow uni = new Flow(2, 0, v4(10, 42, 31, 222), 41234, 0, v4(162, 243, 251, 92), 22);
        uni.keepSketch();
        for (int i = 1; i <= 100; i++) uni.recordSample(i * MS, i * S);
        Flow none = new Flow(3, 0, v4(192, 168, 1, 116), 50000, 0, v4(93, 184, 216, 34), 80);
        none.keepSketch();
        v6.recordSample(30 * MS, S);
        v6.recordSample(10 * MS, 2 * S);
        v6.recordSample(20 * MS, 3 * S);
        r.onRemoved(uni, Removal.CLOSED);
        r.onRemoved(none, Removal.IDLE);
        r.onRemoved(v6, Removal.END);
        return r;
    }

    static String print(AnalysisReport r, boolean json) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        r.print(new PrintStream(b, true, StandardCharsets.UTF_8), json);
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void jsonLinesHaveExactlyTheKeysInOrderOfFirstAppearance() {
        List<String> lines = print(report(), true).lines().toList();
        assertEquals(3, lines.size(), lines.toString());
        List<Map<String, Object>> objs = lines.stream().map(MiniJson::parseFlat).toList();
        List<String> keys = List.of("src", "dst", "samples", "rtt_ms", "avg_ms", "jitter_ms", "min_ms", "max_ms", "p50_ms", "p95_ms");
        for (Map<String, Object> o : objs) assertEquals(keys, new ArrayList<>(o.keySet()));

        Map<String, Object> v6 = objs.get(0);
        assertEquals("[2001:db8::1]:5000", v6.get("src"));
        assertEquals("[2001:db8::2]:443", v6.get("dst"));
        assertEquals(3.0, v6.get("samples"));
        assertEquals(20.0, (double) v6.get("rtt_ms"), 1e-6);
        assertEquals(10.0, (double) v6.get("min_ms"), 1e-6);
        assertEquals(30.0, (double) v6.get("max_ms"), 1e-6);
        // RFC 6298 by hand: 30 -> srtt 30, var 15; 10 -> var 16.25, srtt 27.5; 20 -> var 14.0625, srtt 26.5625
        assertEquals(26.5625, (double) v6.get("avg_ms"), 1e-6);
        assertEquals(14.0625, (double) v6.get("jitter_ms"), 1e-6);

        Map<String, Object> uni = objs.get(1);
        assertEquals("10.42.31.222:41234", uni.get("src"));
        assertEquals("162.243.251.92:22", uni.get("dst"));
        assertEquals(100.0, uni.get("samples"));
        assertEquals(100.0, (double) uni.get("rtt_ms"), 1e-6);
        assertEquals(1.0, (double) uni.get("min_ms"), 1e-6);
        assertEquals(100.0, (double) uni.get("max_ms"), 1e-6);
        // 1..100 ms: the median lies between 50 and 51, p95 between 95 and 96; the sketch is within 1%
        assertBetween((double) uni.get("p50_ms"), 50 * 0.99, 51 * 1.01);
        assertBetween((double) uni.get("p95_ms"), 95 * 0.99, 96 * 1.01);

        Map<String, Object> none = objs.get(2);
        assertEquals("192.168.1.116:50000", none.get("src"));
        assertEquals(0.0, none.get("samples"));
        for (String k : keys.subList(3, keys.size())) {
            assertTrue(none.containsKey(k));
            assertNull(none.get(k), k);
        }
    }

    @Test
    void quantilesFollowASkewedDistributionWithinTheSketchAccuracy() {
        Random rnd = new Random(42);
        Flow f = new Flow(7, 0, v4(10, 0, 0, 1), 1, 0, v4(10, 0, 0, 2), 2);
        f.keepSketch();
        long[] xs = new long[20_000];
        for (int i = 0; i < xs.length; i++) {
            // log-normal around 18 ms, like a WAN path
            xs[i] = (long) (18 * MS * Math.exp(0.5 * rnd.nextGaussian()));
            f.recordSample(xs[i], i);
        }
        AnalysisReport r = new AnalysisReport();
        r.onRemoved(f, Removal.END);
        Map<String, Object> o = MiniJson.parseFlat(print(r, true).strip());
        Arrays.sort(xs);
        for (double q : new double[] {0.5, 0.95}) {
            double exact = xs[(int) Math.round(q * (xs.length - 1))] / 1e6;
            double got = (double) o.get(q == 0.5 ? "p50_ms" : "p95_ms");
            System.out.printf("log-normal p%.0f: sketch %.3f ms, exact %.3f ms%n", q * 100, got, exact);
            assertEquals(exact, got, exact * 0.011);
        }
    }

    @Test
    void textIsAnAlignedTableWithAHeader() {
        List<String> lines = print(report(), false).lines().toList();
        assertEquals(5, lines.size(), String.join("\n", lines));
        assertEquals(List.of("src", "dst", "samples", "last", "avg", "jitter", "min", "max", "p50", "p95"),
                Arrays.asList(lines.get(0).trim().split("\\s+")));
        List<String> table = lines.subList(0, 4);
        for (String l : table) assertEquals(table.get(0).length(), l.length(), "aligned:\n" + String.join("\n", table));
        String[] v6 = lines.get(1).trim().split("\\s+");
        assertEquals("[2001:db8::1]:5000", v6[0]);
        assertEquals("3", v6[2]);
        assertEquals("20.000", v6[3]);
        assertEquals("26.563", v6[4]);   // 26.5625 rounded half up
        String[] none = lines.get(3).trim().split("\\s+");
        assertEquals(List.of("0", "-", "-", "-", "-", "-", "-", "-"), Arrays.asList(none).subList(2, 10));
        // every number has three decimals
        for (String c : Arrays.asList(lines.get(2).trim().split("\\s+")).subList(3, 10)) assertTrue(c.matches("\\d+\\.\\d{3}"), c);
    }

    @Test
    void jsonStringsAreEscaped() {
        String nasty = "a\"b\\c\nd\te\u0001f\u2028é";
        StringBuilder sb = new StringBuilder("{\"k\":");
        ReportText.jsonString(sb, nasty);
        sb.append('}');
        assertFalse(sb.toString().contains("\n"));
        assertEquals(nasty, MiniJson.parseFlat(sb.toString()).get("k"));
    }

    @Test
    void emptyReportPrintsOnlyTheHeader() {
        assertEquals("", print(new AnalysisReport(), true));
        assertTrue(print(new AnalysisReport(), false).startsWith("src"));
    }

    static void assertBetween(double v, double lo, double hi) {
        assertTrue(v >= lo && v <= hi, v + " not in [" + lo + ", " + hi + "]");
    }

    /** Test-only parser for one flat JSON object: string, number and null values, keys in order. */
    static final class MiniJson {
        private final String s;
        private int i;

        private MiniJson(String s) {
            this.s = s;
        }

        static Map<String, Object> parseFlat(String s) {
            MiniJson p = new MiniJson(s);
            Map<String, Object> m = new LinkedHashMap<>();
            p.expect('{');
            if (p.peek() != '}') {
                do {
                    String k = p.string();
                    p.expect(':');
                    if (m.put(k, p.value()) != null) throw new AssertionError("duplicate key " + k + " in " + s);
                } while (p.tryConsume(','));
            }
            p.expect('}');
            if (p.i != s.length()) throw new AssertionError("trailing text in " + s);
            return m;
        }

        private char peek() {
            return s.charAt(i);
        }

        private void expect(char c) {
            if (s.charAt(i) != c) throw new AssertionError("expected '" + c + "' at " + i + " in " + s);
            i++;
        }

        private boolean tryConsume(char c) {
            if (i < s.length() && s.charAt(i) == c) { i++; return true; }
            return false;
        }

        private Object value() {
            char c = peek();
            if (c == '"') return string();
            if (s.startsWith("null", i)) { i += 4; return null; }
            int start = i;
            while (i < s.length() && "-+.eE0123456789".indexOf(s.charAt(i)) >= 0) i++;
            String num = s.substring(start, i);
            if (!num.matches("-?(0|[1-9]\\d*)(\\.\\d+)?([eE][-+]?\\d+)?")) throw new AssertionError("bad number '" + num + "' in " + s);
            return Double.parseDouble(num);
        }

        private String string() {
            expect('"');
            StringBuilder b = new StringBuilder();
            while (true) {
                char c = s.charAt(i++);
                if (c == '"') return b.toString();
                if (c < 0x20) throw new AssertionError("raw control character in a string: " + s);
                if (c != '\\') { b.append(c); continue; }
                char e = s.charAt(i++);
                switch (e) {
                    case '"', '\\', '/' -> b.append(e);
                    case 'n' -> b.append('\n');
                    case 't' -> b.append('\t');
                    case 'r' -> b.append('\r');
                    case 'b' -> b.append('\b');
                    case 'f' -> b.append('\f');
                    case 'u' -> { b.append((char) Integer.parseInt(s.substring(i, i + 4), 16)); i += 4; }
                    default -> throw new AssertionError("bad escape \\" + e + " in " + s);
                }
            }
        }
    }

    @Test
    void millisecondTextMatchesStringFormat() {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
        for (int i = 0; i < 100_000; i++) {
            // RTT-like values: whole ns (sample times) and fractional ns (SRTT/RTTVAR), 1 us to 100 s
            double nanos = Math.exp(rnd.nextDouble(Math.log(1e3), Math.log(1e11)));
            if ((i & 1) == 0) nanos = Math.rint(nanos);
            for (int d : new int[] {3, 6}) {
                String want = String.format(java.util.Locale.ROOT, "%." + d + "f", nanos / 1e6);
                String got = ReportText.millis(new StringBuilder(), nanos, d).toString();
                if (!want.equals(got)) {
                    // Only a tie in the last place may round differently (binary vs decimal halves).
                    double diff = Math.abs(Double.parseDouble(want) - Double.parseDouble(got));
                    assertTrue(diff <= Math.pow(10, -d) * 1.0001, nanos + " ns: " + want + " vs " + got);
                }
            }
        }
        assertEquals("0.000", ReportText.millis(new StringBuilder(), 0, 3).toString());
        assertEquals("18.400000", ReportText.millis(new StringBuilder(), 18_400_000, 6).toString());
        assertEquals("0.000050", ReportText.millis(new StringBuilder(), 50, 6).toString());
    }

    @Test
    void percentilesNeverLeaveTheSampledRange() {
        Flow f = new Flow(0, 0, 0x0000_ffff_0a00_0001L, 1000, 0, 0x0000_ffff_0a00_0002L, 80);
        f.keepSketch();
        // test_tcp.pcap's three samples: the sketch's bucket for 74.599 ms answers 74.904
        for (long ns : new long[] {72_322_000L, 74_599_000L, 74_253_000L}) f.recordSample(ns, ns);
        AnalysisReport r = new AnalysisReport();
        r.onRemoved(f, io.gometro.flow.FlowListener.Removal.END);
        AnalysisReport.Row row = r.rows().get(0);
        assertTrue(row.p50() >= 72_322_000L && row.p50() <= 74_599_000L, "p50 " + row.p50());
        assertTrue(row.p95() >= 72_322_000L && row.p95() <= 74_599_000L, "p95 " + row.p95());
    }
}
