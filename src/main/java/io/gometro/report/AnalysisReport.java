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
                ReportText.jsonString(sb, r.src());
                sb.append(",\"dst\":");
                ReportText.jsonString(sb, r.dst());
                sb.append(",\"samples\":").append(r.samples());
                ReportText.jsonMs(sb, "rtt_ms", r.last());
                ReportText.jsonMs(sb, "avg_ms", r.avg());
                ReportText.jsonMs(sb, "jitter_ms", r.jitter());
                ReportText.jsonMs(sb, "min_ms", r.min());
                ReportText.jsonMs(sb, "max_ms", r.max());
                ReportText.jsonMs(sb, "p50_ms", r.p50());
                ReportText.jsonMs(sb, "p95_ms", r.p95());
                sb.append('}');
                out.println(sb);
            }
        } else {
            printTable(out, sorted);
        }
        out.flush();
    }

    private static void printTable(PrintStream out, List<Row> sorted) {
        List<String[]> cells = new ArrayList<>();
        for (Row r : sorted) {
            cells.add(new String[] {r.src(), r.dst(), Long.toString(r.samples()), ReportText.text(r.last()), ReportText.text(r.avg()),
                    ReportText.text(r.jitter()), ReportText.text(r.min()), ReportText.text(r.max()), ReportText.text(r.p50()), ReportText.text(r.p95())});
        }
        ReportText.table(out, new String[] {"src", "dst", "samples", "last", "avg", "jitter", "min", "max", "p50", "p95"},
                cells);
        out.println("(RTTs in ms; avg = SRTT, jitter = RTTVAR per RFC 6298)");
    }
}
