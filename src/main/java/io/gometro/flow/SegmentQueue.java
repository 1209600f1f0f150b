package io.gometro.flow;

/**
 * The segments one sender has sent and the receiver has not yet cumulatively
 * acknowledged, in sequence order. A ring of fixed-stride entries in one long[],
 * so a flow costs one small array, grown by doubling up to a bound.
 *
 * <p>Entry layout (4 longs): [start<<32 | end], [first send time], [TSval of the first
 * copy << 32 | TSval of the last copy], [last send time | flags in the top 2 bits].
 * Sequence numbers are 32-bit and compared modulo 2^32.
 */
final class SegmentQueue {
    static final int STRIDE = 4;
    static final long RETRANS = 1L << 62;   // sent more than once
    static final long SACKED = 1L << 63;    // already SACKed: no second sample from it
    static final long NO_SAMPLE = RETRANS;  // coalesced overflow blob: treated as ambiguous
    static final long TIME_MASK = (1L << 62) - 1;

    private long[] e;
    private int head;   // index of the first entry (in entries, not longs)
    private int size;
    private final int max;

    SegmentQueue(int initialEntries, int maxEntries) {
        this.max = Math.max(2, maxEntries);
        this.e = new long[Math.min(initialEntries, this.max) * STRIDE];
    }

    int size() { return size; }
    boolean isEmpty() { return size == 0; }
    int capacity() { return e.length / STRIDE; }

    private int slot(int i) { return ((head + i) & (capacity() - 1)) * STRIDE; }

    int start(int i) { return (int) (e[slot(i)] >>> 32); }
    int end(int i) { return (int) e[slot(i)]; }
    long firstSent(int i) { return e[slot(i) + 1]; }
    int tsFirst(int i) { return (int) (e[slot(i) + 2] >>> 32); }
    int tsLast(int i) { return (int) e[slot(i) + 2]; }
    long lastSent(int i) { return e[slot(i) + 3] & TIME_MASK; }
    long flags(int i) { return e[slot(i) + 3] & ~TIME_MASK; }

    void setStart(int i, int start) {
        int s = slot(i);
        e[s] = ((long) start << 32) | (e[s] & 0xffff_ffffL);
    }

    void addFlags(int i, long flags) { e[slot(i) + 3] |= flags; }

    /** A copy of entry i was sent again at {@code at} with {@code tsVal}. */
    void resent(int i, long at, int tsVal) {
        int s = slot(i);
        e[s + 2] = (e[s + 2] & 0xffff_ffff_0000_0000L) | (tsVal & 0xffff_ffffL);
        e[s + 3] = (e[s + 3] & ~TIME_MASK) | RETRANS | (at & TIME_MASK);
    }

    /**
     * Appends [start, end). When the bound is reached the new range is merged into the
     * last entry, which is then marked ambiguous: memory stays bounded and an ACK of
     * the merged range yields no sample rather than a wrong one.
     */
    void append(int start, int end, long at, int tsVal, long flags) {
        // The bound is max itself, not the power-of-two capacity above it.
        if (size >= max) {
            int s = slot(size - 1);
            e[s] = (e[s] & 0xffff_ffff_0000_0000L) | (end & 0xffff_ffffL);
            e[s + 3] |= NO_SAMPLE;
            return;
        }
        if (size == capacity()) grow();
        int s = slot(size);
        e[s] = ((long) start << 32) | (end & 0xffff_ffffL);
        e[s + 1] = at;
        e[s + 2] = ((long) tsVal << 32) | (tsVal & 0xffff_ffffL);
        e[s + 3] = (at & TIME_MASK) | flags;
        size++;
    }

    void popFront() {
        head = (head + 1) & (capacity() - 1);
        size--;
        if (size == 0) head = 0;
    }

    void clear() { head = 0; size = 0; }

    /** Index of the first entry whose end is after {@code seq}, or size if none. Entries are sorted. */
    int firstEndingAfter(int seq) {
        int lo = 0, hi = size;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Seq.after(end(mid), seq)) hi = mid; else lo = mid + 1;
        }
        return lo;
    }

    private void grow() {
        int cap = capacity();
        long[] n = new long[Math.min(cap * 2, Integer.highestOneBit(max - 1) << 1) * STRIDE];
        for (int i = 0; i < size; i++) System.arraycopy(e, slot(i), n, i * STRIDE, STRIDE);
        e = n;
        head = 0;
    }
}
