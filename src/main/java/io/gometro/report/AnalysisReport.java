package io.gometro.report;

import io.gometro.net.Addresses;
import com.datadoghq.sketch.ddsketch.DDSketch;
import io.gometro.flow.Flow;
import io.gometro.flow.FlowListener;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The output of {@code go-metro -pcap=FILE [-json]}: one line per flow that carried data, in order
 * of first appearance, as a table or as JSON lines.
 *
 * <p>Each flow is copied into a small {@link Row} when it leaves the table (the tracker removes
 * every flow at the end of the capture), its p50/p95 read from its DDSketch then, so neither
 * flows nor sketches are kept. avg is SRTT and jitter RTTVAR (RFC 6298), as the daemon reports.
 *
 * <p>JSON keys: {@code src}, {@code dst} ({@code ip:port}, IPv6 as {@code [addr]:port}),
 * {@code samples}, and in ms {@code rtt_ms} (last sample), {@code avg_ms}, {@code jitter_ms},
 * {@code min_ms}, {@code max_ms}, {@code p50_ms}, {@code p95_ms}; the ms fields are null for a
 * flow without samples (and p50/p95 also when no sketch was kept).
 */
public final class AnalysisReport implements FlowListener {

    /** One flow's figures, ns; NaN when unknown. */
    public record Row(long id, String src, String dst, long samples, double last, double avg, double jitter,
                      double min, double max, double p50, double p95) {}

    private final List<Row> rows = new ArrayList<>();

    @Override
    public void onFlush(long nowNanos, List<Flow> fresh) {
        // Analysis prints at the end only.
    }

    @Override
    public void onRemoved(Flow f, Removal why) {
        boolean has = f.samples() > 0;
        double p50 = Double.NaN, p95 = Double.NaN;
        DDSketch s = f.sketch();
        if (has && s != null && !s.isEmpty()) {
            // A sketch answers with its bucket's representative value (1% relative
            // accuracy), which can lie just outside the samples seen: clamp to [min, max].
            double lo = f.minRttNanos(), hi = f.maxRttNanos();
            p50 = Math.clamp(s.getValueAtQuantile(0.50), lo, hi);
            p95 = Math.clamp(s.getValueAtQuantile(0.95), lo, hi);
        }
        rows.add(new Row(f.id(),
                Addresses.format(f.srcHi(), f.srcLo(), f.srcPort()),
                Addresses.format(f.dstHi(), f.dstLo(), f.dstPort()),
                f.samples(),
                has ? f.lastRttNanos() : Double.NaN,
                has ? f.srttNanos() : Double.NaN,
                has ? f.rttvarNanos() : Double.NaN,
                has ? f.minRttNanos() : Double.NaN,
                has ? f.maxRttNanos() : Double.NaN,
                p50, p95));
    }

    /** The rows so far, in order of first appearance. */
    public List<Row> rows() {
        List<Row> r = new ArrayList<>(rows);
        r.sort(Comparator.comparingLong(Row::id));
        return r;
    }

    public void print(PrintStream out, boolean json) {
        List<Row> sorted = rows();
        if (json) {
            StringBuilder sb = new StringBuilder(256);
            for (Row r : sorted) {
                sb.setLength(0);
                sb.append("{\"src\":");
                jsonString(sb, r.src());
                sb.append(",\"dst\":");
                jsonString(sb, r.dst());
                sb.append(",\"samples\":").append(r.samples());
                jsonMs(sb, "rtt_ms", r.last());
                jsonMs(sb, "avg_ms", r.avg());
                jsonMs(sb, "jitter_ms", r.jitter());
                jsonMs(sb, "min_ms", r.min());
                jsonMs(sb, "max_ms", r.max());
                jsonMs(sb, "p50_ms", r.p50());
                jsonMs(sb, "p95_ms", r.p95());
                sb.append('}');
                out.println(sb);
            }
        } else {
            printTable(out, sorted);
        }
        out.flush();
    }

    private static void printTable(PrintStream out, List<Row> sorted) {
        String[] head = {"src", "dst", "samples", "last", "avg", "jitter", "min", "max", "p50", "p95"};
        List<String[]> cells = new ArrayList<>();
        cells.add(head);
        for (Row r : sorted) {
            cells.add(new String[] {r.src(), r.dst(), Long.toString(r.samples()), text(r.last()), text(r.avg()),
                    text(r.jitter()), text(r.min()), text(r.max()), text(r.p50()), text(r.p95())});
        }
        int[] w = new int[head.length];
        for (String[] row : cells) for (int i = 0; i < w.length; i++) w[i] = Math.max(w[i], row[i].length());
        StringBuilder sb = new StringBuilder();
        for (String[] row : cells) {
            sb.setLength(0);
            for (int i = 0; i < w.length; i++) {
                if (i > 0) sb.append("  ");
                // addresses left-aligned, numbers right-aligned
                String pad = " ".repeat(w[i] - row[i].length());
                if (i < 2) sb.append(row[i]).append(i == w.length - 1 ? "" : pad);
                else sb.append(pad).append(row[i]);
            }
            out.println(sb);
        }
        out.println("(RTTs in ms; avg = SRTT, jitter = RTTVAR per RFC 6298)");
    }

    private static String text(double nanos) {
        return Double.isNaN(nanos) ? "-" : millis(new StringBuilder(), nanos, 3).toString();
    }

    private static void jsonMs(StringBuilder sb, String key, double nanos) {
        sb.append(",\"").append(key).append("\":");
        if (Double.isNaN(nanos) || Double.isInfinite(nanos)) sb.append("null");
        else millis(sb, nanos, 6);
    }

    private static final long[] POW10 = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000};

    /**
     * {@code nanos} as milliseconds with {@code decimals} (3 or 6) places, rounded half up:
     * the same text as String.format("%.6f"), without parsing a format string for each of
     * the tens of thousands of numbers a big capture's report prints.
     */
    static StringBuilder millis(StringBuilder sb, double nanos, int decimals) {
        long scaled = Math.round(nanos / POW10[6 - decimals]);   // units of 10^-decimals ms
        if (scaled < 0) {
            sb.append('-');
            scaled = -scaled;
        }
        long unit = POW10[decimals];
        sb.append(scaled / unit).append('.');
        String frac = Long.toString(scaled % unit);
        for (int i = frac.length(); i < decimals; i++) sb.append('0');
        return sb.append(frac);
    }

    /** A JSON string literal (RFC 8259): quotes, backslash and control characters escaped. */
    static void jsonString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) sb.append(String.format("\\u%04x", (int) c));
                    else sb.append(c);
                }
            }
        }
        sb.append('"');
    }
}
