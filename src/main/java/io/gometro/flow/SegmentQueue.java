package io.gometro.flow;

/**
 * The segments one sender has sent and the receiver has not yet cumulatively
 * acknowledged, in sequence order: a ring over two parallel arrays, 20 bytes an entry,
 * grown by doubling up to a bound and released when the sender is done.
 *
 * <p>Per entry: {@code seq[3i] = start, seq[3i+1] = end, seq[3i+2] = TSval of the
 * latest copy}; {@code sent[i]} = send time of the latest copy relative to the flow's
 * time base (61 bits, 73 years) with three flags in the top bits. Sequence numbers
 * are 32-bit and compared modulo 2^32.
 */
final class SegmentQueue {
    static final long SACKED = 1L << 63;       // SACKed, or partly acked and sampled: no sample from it again
    static final long RETRANS = 1L << 62;      // sent more than once
    static final long TS_AMBIGUOUS = 1L << 61; // copies share a TSval, or an overflow merge: TSecr cannot name one
    static final long FLAGS = SACKED | RETRANS | TS_AMBIGUOUS;

    private static final int[] NO_SEQ = new int[0];
    private static final long[] NO_SENT = new long[0];
    private static final int INITIAL = 4;

    private final SegmentPool pool;       // null: arrays are allocated and dropped
    private int[] seq = NO_SEQ;
    private long[] sent = NO_SENT;
    private int head;
    private int size;
    private int max;

    SegmentQueue(int maxEntries) { this(maxEntries, null); }

    SegmentQueue(int maxEntries, SegmentPool pool) {
        this.max = Math.max(2, maxEntries);
        this.pool = pool;
    }

    int size() { return size; }
    boolean isEmpty() { return size == 0; }
    int capacity() { return sent.length; }

    private int slot(int i) {
        int s = head + i;
        return s >= sent.length ? s - sent.length : s;
    }

    int start(int i) { return seq[3 * slot(i)]; }
    int end(int i) { return seq[3 * slot(i) + 1]; }
    int tsVal(int i) { return seq[3 * slot(i) + 2]; }
    /** Send time of the latest copy, relative to the owner's time base. */
    long sentAt(int i) { return sent[slot(i)] & ~FLAGS; }
    long flags(int i) { return sent[slot(i)] & FLAGS; }

    void setStart(int i, int start) { seq[3 * slot(i)] = start; }
    void addFlags(int i, long flags) { sent[slot(i)] |= flags; }

    /** Entry i was sent again at {@code at} with {@code tsVal}. */
    void resent(int i, long at, int tsVal) {
        int s = slot(i);
        long keep = sent[s] & FLAGS;
        if (seq[3 * s + 2] == tsVal) keep |= TS_AMBIGUOUS;
        seq[3 * s + 2] = tsVal;
        sent[s] = keep | RETRANS | at;
    }

    /**
     * Appends [start, end). When the bound is reached the new range is merged into the
     * last entry, which is then ambiguous: memory stays bounded and an ACK of the merged
     * range yields no sample rather than a wrong one.
     */
    void append(int start, int end, long at, int tsVal, long flags) {
        if (size == sent.length) {
            if (size < max) grow();
            else {
                int s = slot(size - 1);
                seq[3 * s + 1] = end;
                sent[s] |= RETRANS | TS_AMBIGUOUS;
                return;
            }
        }
        int s = slot(size);
        seq[3 * s] = start;
        seq[3 * s + 1] = end;
        seq[3 * s + 2] = tsVal;
        sent[s] = at | flags;
        size++;
    }

    void popFront() {
        head = head + 1 == sent.length ? 0 : head + 1;
        if (--size == 0) head = 0;
    }

    /** Index of the first entry whose end is after {@code seq}, or size if none. Entries are sorted. */
    int firstEndingAfter(int s) {
        int lo = 0, hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Seq.after(end(mid), s)) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    /** Gives the arrays back to the pool (the sender is done); the queue may grow again if it must. */
    void release() {
        if (pool != null && sent.length > 0) pool.give(seq, sent);
        seq = NO_SEQ;
        sent = NO_SENT;
        head = size = 0;
    }

    /** Empties the queue for a new owner with a new bound; keeps the arrays. */
    void reset(int maxEntries) {
        head = size = 0;
        max = Math.max(2, maxEntries);
    }

    private void grow() {
        int cap = sent.length == 0 ? Math.min(INITIAL, max) : Math.min(sent.length * 2, max);
        int[] nSeq = pool == null ? null : pool.takeSeq(cap);
        long[] nSent;
        if (nSeq != null) {
            nSent = pool.takeSent(cap);
        } else {
            nSeq = new int[3 * cap];
            nSent = new long[cap];
        }
        for (int i = 0; i < size; i++) {
            int s = slot(i);
            System.arraycopy(seq, 3 * s, nSeq, 3 * i, 3);
            nSent[i] = sent[s];
        }
        if (pool != null && sent.length > 0) pool.give(seq, sent);
        seq = nSeq;
        sent = nSent;
        head = 0;
    }
}
