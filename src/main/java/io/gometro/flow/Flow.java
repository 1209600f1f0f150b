package io.gometro.flow;

import com.datadoghq.sketch.ddsketch.DDSketch;

/**
 * One direction of a TCP connection, oriented with the data sender as {@code src}:
 * its RTT statistics as the report reads them. Owned by the capture thread.
 */
public final class Flow {
    // Identity: set once when the connection is created.
    final long id;                // order of first appearance, for stable output
    final long srcHi, srcLo, dstHi, dstLo;
    final int srcPort, dstPort;

    // RTT statistics, ns. srtt/rttvar per RFC 6298 (alpha 1/8, beta 1/4).
    long samples;
    long lastRtt = -1, minRtt = Long.MAX_VALUE, maxRtt = -1;
    double srtt = -1, rttvar = -1;
    int freshSamples;              // since the last flush
    double freshSum;               // sum of fresh samples, for -st=false
    long lastSampleNanos;
    boolean carriedData;
    DDSketch sketch;               // only in analysis mode

    Flow(long id, long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort) {
        this.id = id;
        this.srcHi = srcHi; this.srcLo = srcLo; this.srcPort = srcPort;
        this.dstHi = dstHi; this.dstLo = dstLo; this.dstPort = dstPort;
    }

    public long id() { return id; }
    public long srcHi() { return srcHi; }
    public long srcLo() { return srcLo; }
    public int srcPort() { return srcPort; }
    public long dstHi() { return dstHi; }
    public long dstLo() { return dstLo; }
    public int dstPort() { return dstPort; }

    /** Samples over the flow's life. */
    public long samples() { return samples; }
    /** Samples since the previous flush. */
    public int freshSamples() { return freshSamples; }
    /** Mean of the samples since the previous flush, ns (NaN if none). */
    public double freshMeanNanos() { return freshSamples == 0 ? Double.NaN : freshSum / freshSamples; }
    public long lastRttNanos() { return lastRtt; }
    public long minRttNanos() { return minRtt; }
    public long maxRttNanos() { return maxRtt; }
    /** RFC 6298 SRTT, ns. */
    public double srttNanos() { return srtt; }
    /** RFC 6298 RTTVAR, ns. */
    public double rttvarNanos() { return rttvar; }
    /** Packet time of the last sample, ns. */
    public long lastSampleNanos() { return lastSampleNanos; }
    /** True once the sender sent payload, SYN or FIN. */
    public boolean carriedData() { return carriedData; }
    /** The flow's RTT sketch (ns values), or null when the tracker keeps none. */
    public DDSketch sketch() { return sketch; }
}
