package io.gometro.report;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The console sink, {@code go-metro -report=console}: each flush's pairs printed to stdout, as an
 * aligned table under a line naming the interface and the time, or with {@code -json} as one JSON
 * object per pair. It lets an operator check a configuration (which peers are measured, and what
 * they measure) without DogStatsD. The figures are those DogStatsD gets, in ms.
 *
 * <p>JSON keys: {@code time} (ISO 8601, UTC), {@code iface}, {@code src}, {@code dst},
 * {@code samples}, {@code rtt_ms} (last sample), {@code avg_ms}, {@code jitter_ms}, {@code max_ms};
 * with {@code percentiles: true} also {@code median_ms}, {@code p95_ms}, {@code p99_ms}.
 */
public final class ConsoleReport implements ReportSink {
    private final PrintStream out;
    private final boolean json;

    public ConsoleReport(PrintStream out, boolean json) {
        this.out = Objects.requireNonNull(out, "out");
        this.json = json;
    }

    @Override
    public void accept(PairReport r) {
        // Each flush is printed whole under the stream's lock: two instances' reports never interleave.
        String time = Instant.ofEpochMilli(r.atMillis()).toString();
        StringBuilder sb = new StringBuilder(256);
        if (json) {
            for (PairReport.Row p : r.rows()) {
                sb.append("{\"time\":");
                ReportText.jsonString(sb, time);
                sb.append(",\"iface\":");
                ReportText.jsonString(sb, r.iface());
                sb.append(",\"src\":");
                ReportText.jsonString(sb, p.src());
                sb.append(",\"dst\":");
                ReportText.jsonString(sb, p.dst());
                sb.append(",\"samples\":").append(p.samples());
                ReportText.jsonMs(sb, "rtt_ms", p.last());
                ReportText.jsonMs(sb, "avg_ms", p.avg());
                ReportText.jsonMs(sb, "jitter_ms", p.jitter());
                ReportText.jsonMs(sb, "max_ms", p.max());
                if (r.percentiles()) {
                    ReportText.jsonMs(sb, "median_ms", p.median());
                    ReportText.jsonMs(sb, "p95_ms", p.p95());
                    ReportText.jsonMs(sb, "p99_ms", p.p99());
                }
                sb.append("}\n");
            }
            synchronized (out) {
                out.print(sb);
                out.flush();
            }
            return;
        }
        CaptureCounters c = r.counters();
        List<String[]> rows = new ArrayList<>(r.rows().size());
        for (PairReport.Row p : r.rows()) {
            List<String> cells = new ArrayList<>(List.of(p.src(), p.dst(), Long.toString(p.samples()),
                    ReportText.text(p.last()), ReportText.text(p.avg()), ReportText.text(p.jitter()),
                    ReportText.text(p.max())));
            if (r.percentiles())
                cells.addAll(List.of(ReportText.text(p.median()), ReportText.text(p.p95()), ReportText.text(p.p99())));
            rows.add(cells.toArray(String[]::new));
        }
        String[] head = r.percentiles()
                ? new String[] {"src", "dst", "samples", "last", "avg", "jitter", "max", "median", "p95", "p99"}
                : new String[] {"src", "dst", "samples", "last", "avg", "jitter", "max"};
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        PrintStream text = new PrintStream(b, false, out.charset());
        text.println(time + " iface " + r.iface() + ": " + r.rows().size() + " pairs from " + r.flows() + " flows, "
                + r.samples() + " samples; " + (c == null ? "?" : c.summary()));
        if (!rows.isEmpty()) ReportText.table(text, head, rows);
        text.flush();
        synchronized (out) {
            out.print(b.toString(out.charset()));
            out.flush();
        }
    }
}
