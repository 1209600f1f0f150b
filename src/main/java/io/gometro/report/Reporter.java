package io.gometro.report;

import com.datadoghq.sketch.ddsketch.DDSketch;
import com.datadoghq.sketch.ddsketch.DDSketches;
import io.gometro.flow.Flow;
import io.gometro.flow.FlowListener;
import io.gometro.flow.IntervalSamples;
import io.gometro.net.Addresses;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The daemon's one report path: at each flush tick, on the capture thread, it turns the flows
 * with fresh samples into one {@link PairReport} and hands it to each of its sinks. One per
 * instance (interface).
 *
 * <p><b>Pair rule.</b> Several connections to one peer share one tag set, and a gauge keeps only
 * one value per tag set and interval, so the flows of a pair are combined: avg and jitter are the
 * means of the flows' values weighted by each flow's number of samples since the previous flush
 * (with soften off, {@code -st=false}, avg is then exactly the mean of all the pair's fresh
 * samples); last is the most recent sample of any of them; max the largest fresh sample.
 *
 * <p>With percentiles on, the median, 95th and 99th percentile of each pair come from a DDSketch
 * (1% relative accuracy) of the interval's samples, which the tracker keeps in
 * {@link IntervalSamples}; this reads and clears it at each flush.
 *
 * <p>Names for the src and dst come from the map given at construction (prepared at start) or by
 * {@link #setNames} (a whitelist looked up again); any other address is written as its IP. No
 * name lookup happens here.
 */
public final class Reporter implements FlowListener {
    private static final Logger LOG = LogManager.getLogger(Reporter.class);

    private record Addr(long hi, long lo) {}

    private record Pair(long srcHi, long srcLo, long dstHi, long dstLo) {}

    /** One pair's flows in this flush. */
    private static final class Agg {
        long weight;              // fresh samples
        double avgSum, jitterSum; // weighted by fresh samples, ns
        long lastRtt;
        long lastAt = Long.MIN_VALUE;
        long max = -1;            // largest fresh sample, ns
    }

    private final String iface;
    private final boolean soften;
    private final Supplier<CaptureCounters> counters;
    private final List<ReportSink> sinks;
    private final Map<Addr, String> names = new HashMap<>();
    private IntervalSamples percentiles;   // null: off
    private List<String> whitelist = List.of();

    /**
     * @param iface    the interface name, for the {@code iface:} tag
     * @param names    address to name, for src and dst (resolved at start, never here)
     * @param soften   -st: avg is SRTT when true, the interval's mean when false
     * @param counters read at every flush, on the capture thread
     * @param sinks    where each flush's report goes, in this order
     */
    public Reporter(String iface, Map<InetAddress, String> names, boolean soften, Supplier<CaptureCounters> counters,
                    List<ReportSink> sinks) {
        this.iface = Objects.requireNonNull(iface, "iface");
        this.soften = soften;
        this.counters = Objects.requireNonNull(counters, "counters");
        this.sinks = List.copyOf(sinks);
        setNames(names);
    }

    /**
     * Also report, per pair and flush, the median, 95th and 99th percentile of the interval's
     * samples. The tracker fills {@code samples}.
     */
    public void sendPercentiles(IntervalSamples samples) {
        this.percentiles = samples;
    }

    /** The whitelist in force, as -status shows it; capture thread only. */
    public void setWhitelist(List<String> whitelist) {
        this.whitelist = List.copyOf(whitelist);
    }

    /** Replaces the names; capture thread only, like {@link #onFlush}. */
    public void setNames(Map<InetAddress, String> names) {
        this.names.clear();
        names.forEach((a, n) -> this.names.put(new Addr(Addresses.hi(a), Addresses.lo(a)), n));
    }

    @Override
    public void onFlush(long nowNanos, List<Flow> fresh) {
        PairReport r = report(fresh);
        for (ReportSink s : sinks) s.accept(r);
    }

    /** This flush's report; clears the interval's samples. */
    PairReport report(List<Flow> fresh) {
        Map<Pair, Agg> pairs = new LinkedHashMap<>();
        long samples = 0;
        int flows = 0;
        for (Flow f : fresh) {
            int w = f.freshSamples();
            if (w <= 0) continue;
            flows++;
            samples += w;
            Agg a = pairs.computeIfAbsent(new Pair(f.srcHi(), f.srcLo(), f.dstHi(), f.dstLo()), k -> new Agg());
            a.weight += w;
            a.avgSum += w * (soften ? f.srttNanos() : f.freshMeanNanos());
            a.jitterSum += w * f.rttvarNanos();
            a.max = Math.max(a.max, f.freshMaxNanos());
            if (f.lastSampleNanos() >= a.lastAt) {
                a.lastAt = f.lastSampleNanos();
                a.lastRtt = f.lastRttNanos();
            }
            if (LOG.isDebugEnabled()) {
                LOG.debug("iface {}: flow {} -> {}: {} new samples, last {} ms, srtt {} ms, rttvar {} ms, interval mean {} ms",
                        iface, Addresses.format(f.srcHi(), f.srcLo(), f.srcPort()),
                        Addresses.format(f.dstHi(), f.dstLo(), f.dstPort()), w, ms(f.lastRttNanos()),
                        ms(f.srttNanos()), ms(f.rttvarNanos()), ms(f.freshMeanNanos()));
            }
        }
        Map<Pair, DDSketch> sketches = percentiles != null ? sketches() : Map.of();
        List<PairReport.Row> rows = new ArrayList<>(pairs.size());
        for (Map.Entry<Pair, Agg> e : pairs.entrySet()) {
            Pair p = e.getKey();
            Agg a = e.getValue();
            DDSketch k = sketches.get(p);
            boolean q = k != null && !k.isEmpty();
            rows.add(new PairReport.Row(name(p.srcHi(), p.srcLo()), name(p.dstHi(), p.dstLo()), a.weight, a.lastRtt,
                    a.avgSum / a.weight, a.jitterSum / a.weight, a.max,
                    q ? k.getValueAtQuantile(0.5) * 1e6 : Double.NaN, q ? k.getValueAtQuantile(0.95) * 1e6 : Double.NaN,
                    q ? k.getValueAtQuantile(0.99) * 1e6 : Double.NaN));
        }
        if (percentiles != null) percentiles.clear();
        return new PairReport(iface, System.currentTimeMillis(), counters.get(), whitelist, flows, samples,
                percentiles != null, rows);
    }

    /** One sketch per pair of the interval's samples, in ms (the unit DogStatsD gets). */
    private Map<Pair, DDSketch> sketches() {
        Map<Pair, DDSketch> sketches = new HashMap<>();
        IntervalSamples s = percentiles;
        for (int i = 0; i < s.size(); i++) {
            sketches.computeIfAbsent(new Pair(s.srcHi(i), s.srcLo(i), s.dstHi(i), s.dstLo(i)),
                    k -> DDSketches.unboundedDense(0.01)).accept(ms(s.rttNanos(i)));
        }
        if (s.seen() > s.size()) {
            LOG.debug("iface {}: percentiles of this flush from a uniform sample of {} of its {} samples", iface,
                    s.size(), s.seen());
        }
        return sketches;
    }

    private String name(long hi, long lo) {
        String n = names.get(new Addr(hi, lo));
        return n != null ? n : Addresses.toString(hi, lo);
    }

    private static double ms(double nanos) {
        return nanos / 1e6;
    }
}
