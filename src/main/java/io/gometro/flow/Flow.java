package io.gometro.flow;

import com.datadoghq.sketch.ddsketch.DDSketch;

/**
 * One direction of a TCP connection, oriented with the data sender as {@code src}:
 * its RTT statistics as the report reads them. Owned by the capture thread.
 */
public final class Flow {
    // Identity: set when the flow is (re)used for a connection.
    long id;                      // order of first appearance, for stable output
    long srcHi, srcLo, dstHi, dstLo;
    int srcPort, dstPort;

    // RTT statistics, ns. srtt/rttvar per RFC 6298 (alpha 1/8, beta 1/4).
    long samples;
    long lastRtt = -1, minRtt = Long.MAX_VALUE, maxRtt = -1;
    double srtt = -1, rttvar = -1;
    int freshSamples;              // since the last flush
    double freshSum;               // sum of fresh samples, for -st=false
    long freshMax = -1;            // largest fresh sample
    IntervalSamples interval;      // only with percentiles on; kept when the flow is recycled
    long lastSampleNanos;
    boolean carriedData;
    DDSketch sketch;               // only in analysis mode

    // The sender's sequence state, read and written only by SampleRule.
    boolean seqInit, finSent;
    int sndUna, sndNxt;
    long timeBase;                 // packet time of the first segment; the queue keeps times relative to it
    final SegmentQueue queue;

    // Set by the tracker: on its fresh list since the last flush.
    boolean listedFresh;

    public Flow(long id, long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort) {
        this(id, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, TrackerConfig.defaults().maxPending(), null);
    }

    Flow(long id, long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int maxPending) {
        this(id, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, maxPending, null);
    }

    Flow(long id, long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int maxPending,
         SegmentPool pool) {
        this.queue = new SegmentQueue(maxPending, pool);
        reuse(id, srcHi, srcLo, srcPort, dstHi, dstLo, dstPort, maxPending);
    }

    /** Drops the sender's sequence state and pending segments (see FlowTracker.forgetInFlight). */
    void forgetInFlight(int maxPending) {
        seqInit = false;
        queue.reset(maxPending);
    }

    /** Makes a retired flow new again for another connection (the tracker recycles flows). */
    void reuse(long id, long srcHi, long srcLo, int srcPort, long dstHi, long dstLo, int dstPort, int maxPending) {
        this.id = id;
        this.srcHi = srcHi; this.srcLo = srcLo; this.srcPort = srcPort;
        this.dstHi = dstHi; this.dstLo = dstLo; this.dstPort = dstPort;
        samples = 0;
        lastRtt = -1; minRtt = Long.MAX_VALUE; maxRtt = -1;
        srtt = -1; rttvar = -1;
        freshSamples = 0; freshSum = 0; freshMax = -1;
        lastSampleNanos = 0;
        carriedData = false;
        if (sketch != null) sketch.clear();
        seqInit = finSent = false;
        sndUna = sndNxt = 0;
        timeBase = 0;
        listedFresh = false;
        queue.reset(maxPending);
    }

    /**
     * Takes one RTT sample taken at packet time {@code atNanos}: RFC 6298 section 2,
     * with the first sample setting SRTT = R and RTTVAR = R/2.
     */
    public void recordSample(long rttNanos, long atNanos) {
        if (samples == 0) {
            srtt = rttNanos;
            rttvar = rttNanos / 2.0;
        } else {
            rttvar = 0.75 * rttvar + 0.25 * Math.abs(srtt - rttNanos);
            srtt = 0.875 * srtt + 0.125 * rttNanos;
        }
        samples++;
        freshSamples++;
        freshSum += rttNanos;
        lastRtt = rttNanos;
        if (rttNanos < minRtt) minRtt = rttNanos;
        if (rttNanos > maxRtt) maxRtt = rttNanos;
        lastSampleNanos = atNanos;
        if (rttNanos > freshMax) freshMax = rttNanos;
        if (sketch != null) sketch.accept(rttNanos);
        if (interval != null) interval.add(this, rttNanos);
    }

    /** Called after a flush has reported the fresh samples. */
    public void clearFresh() {
        listedFresh = false;
        freshSamples = 0;
        freshSum = 0;
        freshMax = -1;
    }

    /** Keeps a DDSketch (1% relative accuracy) of this flow's samples from now on. */
    public void keepSketch() {
        if (sketch == null) sketch = com.datadoghq.sketch.ddsketch.DDSketches.unboundedDense(0.01);
    }

    /** Remembered unacknowledged segments (bounded by max_pending). */
    public int pendingSegments() { return queue.size(); }

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
    /** The largest sample since the previous flush, ns (-1 if none). */
    public long freshMaxNanos() { return freshMax; }
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
