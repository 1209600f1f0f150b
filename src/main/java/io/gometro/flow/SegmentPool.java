package io.gometro.flow;

/**
 * Segment-queue arrays given back by finished senders, handed to the next queue that grows
 * to the same capacity. Without it every new connection regrew its queues 4, 8, 16, ... and
 * dropped them at FIN: that was ~90% of what the capture thread allocated, and with the
 * serial collector the promoted garbage inflated the old generation (and so the RSS).
 *
 * <p>One per tracker, so single-threaded like it. Only power-of-two capacities from
 * {@code 4} up are pooled (what {@link SegmentQueue#grow} makes below the bound). The pool
 * holds at most {@link #MAX_BYTES} in all, and {@link #MAX_PER_SIZE} pairs of one size, so a
 * burst of closes pins little: 2 MiB is 400 senders' worth of 256-entry queues (5 KB each).
 */
final class SegmentPool {
    static final int MIN_CAP = 4;
    private static final int SIZES = 16;                 // capacities 4 .. 128 Ki entries
    static final long MAX_BYTES = 2L << 20;
    static final int MAX_PER_SIZE = 1024;
    private long bytes;                                   // held in all sizes

    private final int[][][] seqs = new int[SIZES][][];
    private final long[][][] sents = new long[SIZES][][];
    private final int[] counts = new int[SIZES];

    /** Size class of a capacity, or -1 if not pooled. */
    private static int sizeClass(int cap) {
        if (cap < MIN_CAP || Integer.bitCount(cap) != 1) return -1;
        int k = Integer.numberOfTrailingZeros(cap) - Integer.numberOfTrailingZeros(MIN_CAP);
        return k < SIZES ? k : -1;
    }

    private static long pairBytes(int cap) { return 20L * cap; }

    /** A pooled seq array for {@code cap} entries (3 ints each), or null; if not null, take its pair with {@link #takeSent}. */
    int[] takeSeq(int cap) {
        int k = sizeClass(cap);
        if (k < 0 || counts[k] == 0) return null;
        int[] s = seqs[k][counts[k] - 1];
        seqs[k][counts[k] - 1] = null;
        return s;
    }

    /** The sent array paired with the seq array just taken by {@link #takeSeq}. */
    long[] takeSent(int cap) {
        int k = sizeClass(cap);
        int n = --counts[k];
        bytes -= pairBytes(cap);
        long[] s = sents[k][n];
        sents[k][n] = null;
        return s;
    }

    /** Keeps a pair of arrays of one queue (seq.length == 3 * sent.length) if there is room. */
    void give(int[] seq, long[] sent) {
        int k = sizeClass(sent.length);
        if (k < 0) return;
        int n = counts[k];
        if (n == MAX_PER_SIZE || bytes + pairBytes(sent.length) > MAX_BYTES) return;
        if (seqs[k] == null || n == seqs[k].length) {
            // Grown by doubling only while filling up; never shrunk (bounded by MAX_PER_SIZE).
            int len = Math.min(MAX_PER_SIZE, seqs[k] == null ? 8 : 2 * n);
            seqs[k] = java.util.Arrays.copyOf(seqs[k] == null ? new int[0][] : seqs[k], len);
            sents[k] = java.util.Arrays.copyOf(sents[k] == null ? new long[0][] : sents[k], len);
        }
        seqs[k][n] = seq;
        sents[k][n] = sent;
        counts[k] = n + 1;
        bytes += pairBytes(sent.length);
    }

    /** Pairs held for capacity {@code cap}, for tests. */
    int held(int cap) {
        int k = sizeClass(cap);
        return k < 0 ? 0 : counts[k];
    }
}
