package io.gometro.report;

import java.util.List;

/**
 * What one flush of one instance measured: a row per (src ip, dst ip) pair, with the instance's
 * counters and the whitelist in force. {@link Reporter} makes one at each flush and hands it to
 * every {@link ReportSink}: DogStatsD, the status file, the console.
 *
 * @param iface       the interface, for the {@code iface:} tag ({@code file} for a replay)
 * @param atMillis    wall-clock time of the flush
 * @param counters    packets, drops and active flows since the capture started, or null if unknown
 * @param whitelist   the whitelist in force, as -status shows it
 * @param flows       flows with samples since the previous flush
 * @param samples     samples since the previous flush, all pairs
 * @param percentiles whether the rows carry median, p95 and p99 (init_config.percentiles)
 * @param rows        one per pair, in order of first appearance in the flush
 */
public record PairReport(String iface, long atMillis, CaptureCounters counters, List<String> whitelist, int flows,
                         long samples, boolean percentiles, List<Row> rows) {
    public PairReport {
        whitelist = List.copyOf(whitelist);
        rows = List.copyOf(rows);
    }

    /**
     * One pair's figures, ns. avg and jitter are the means of its flows' SRTT (or interval mean)
     * and RTTVAR weighted by each flow's samples since the previous flush; last is the most recent
     * sample of any of its flows. median, p95 and p99 are NaN without percentiles or samples.
     *
     * @param src     the source's name or address, as tagged
     * @param dst     the destination's name or address, as tagged
     * @param samples samples since the previous flush
     */
    public record Row(String src, String dst, long samples, double last, double avg, double jitter, double max,
                      double median, double p95, double p99) {}
}
