package io.gometro.flow;

/**
 * One capture's RTT samples since the last flush, each with its (src, dst) pair, for the opt-in
 * percentiles ({@code init_config.percentiles}). Fixed arrays, filled on the capture thread by
 * {@link Flow#recordSample} without allocating, read and cleared by the report at the flush.
 *
 * <p>Bounded: past {@link #CAPACITY} samples in one interval it keeps a uniform random sample of
 * them (reservoir sampling, Vitter's algorithm R, with a xorshift generator), so a busy interval
 * costs no more memory and its quantiles stay unbiased; {@link #seen()} counts them all.
 */
public final class IntervalSamples {
    /** 32 768 samples of five longs: 1.3 MB per instance, allocated only with percentiles on. */
    public static final int CAPACITY = 32_768;
    public static final long BYTES = CAPACITY * 5L * Long.BYTES;

    private final long[] srcHi = new long[CAPACITY], srcLo = new long[CAPACITY];
    private final long[] dstHi = new long[CAPACITY], dstLo = new long[CAPACITY];
    private final long[] rtt = new long[CAPACITY];
    private int size;
    private long seen;
    private long rng = 0x9E3779B97F4A7C15L;

    void add(Flow f, long rttNanos) {
        long n = ++seen;
        int slot;
        if (size < CAPACITY) {
            slot = size++;
        } else {
            // keep the n-th sample with probability CAPACITY / n, in a uniformly chosen slot
            rng ^= rng << 13;
            rng ^= rng >>> 7;
            rng ^= rng << 17;
            long j = Long.remainderUnsigned(rng, n);
            if (j >= CAPACITY) return;
            slot = (int) j;
        }
        srcHi[slot] = f.srcHi;
        srcLo[slot] = f.srcLo;
        dstHi[slot] = f.dstHi;
        dstLo[slot] = f.dstLo;
        rtt[slot] = rttNanos;
    }

    /** Samples held: at most {@link #CAPACITY}. */
    public int size() { return size; }
    /** Samples taken since the last {@link #clear()}, held or not. */
    public long seen() { return seen; }
    public long srcHi(int i) { return srcHi[i]; }
    public long srcLo(int i) { return srcLo[i]; }
    public long dstHi(int i) { return dstHi[i]; }
    public long dstLo(int i) { return dstLo[i]; }
    public long rttNanos(int i) { return rtt[i]; }

    /** After the flush that reported them. */
    public void clear() {
        size = 0;
        seen = 0;
    }
}
