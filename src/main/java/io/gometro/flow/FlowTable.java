package io.gometro.flow;

/**
 * The connections one capture thread tracks: an open-addressing hash index (linear
 * probing, backward-shift deletion, so no tombstones accumulate) plus two intrusive
 * lists, least-recently-seen first and closing in order of close. Bounded by
 * {@code maxFlows}; the caller evicts the head of the idle list when full.
 * Single-threaded by design: its owner is the capture thread.
 */
final class FlowTable {
    private Connection[] slots;
    private int mask;
    private int size;
    private final int maxFlows;

    private Connection lruHead, lruTail;
    private Connection closeHead, closeTail;

    FlowTable(int maxFlows) {
        this.maxFlows = maxFlows;
        int cap = 1024;
        while (cap < 2 * Math.min(maxFlows, 4096)) cap <<= 1;
        slots = new Connection[cap];
        mask = cap - 1;
    }

    int size() { return size; }
    boolean full() { return size >= maxFlows; }
    Connection oldestIdle() { return lruHead; }
    Connection oldestClosing() { return closeHead; }

    static int hash(long aHi, long aLo, int aPort, long bHi, long bLo, int bPort) {
        long h = aLo * 0x9E3779B97F4A7C15L;
        h ^= bLo * 0xC2B2AE3D27D4EB4FL;
        h ^= (aHi ^ Long.rotateLeft(bHi, 17)) * 0x165667B19E3779F9L;
        h ^= ((long) aPort << 16 | bPort) * 0xD6E8FEB86659FD93L;
        h ^= h >>> 29;
        h *= 0xBF58476D1CE4E5B9L;
        return (int) (h ^ (h >>> 32));
    }

    Connection find(long aHi, long aLo, int aPort, long bHi, long bLo, int bPort, int hash) {
        for (int i = hash & mask; ; i = (i + 1) & mask) {
            Connection c = slots[i];
            if (c == null) return null;
            if (c.hash == hash && c.matches(aHi, aLo, aPort, bHi, bLo, bPort)) return c;
        }
    }

    /** Adds a connection known to be absent. The caller has made room (size < maxFlows). */
    void insert(Connection c) {
        if (2 * (size + 1) > slots.length) resize();
        int i = c.hash & mask;
        while (slots[i] != null) i = (i + 1) & mask;
        slots[i] = c;
        size++;
        lruAppend(c);
    }

    void remove(Connection c) {
        int i = c.hash & mask;
        while (slots[i] != c) i = (i + 1) & mask;
        // Backward-shift: pull later members of the probe run into the hole.
        int hole = i;
        for (int j = (hole + 1) & mask; slots[j] != null; j = (j + 1) & mask) {
            int home = slots[j].hash & mask;
            // Move j into the hole if its home is not in (hole, j] cyclically.
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                slots[hole] = slots[j];
                hole = j;
            }
        }
        slots[hole] = null;
        size--;
        lruUnlink(c);
        if (c.closing()) closeUnlink(c);
    }

    /** The connection saw a packet: it becomes the most recently seen. */
    void touch(Connection c) {
        if (lruTail == c) return;
        lruUnlink(c);
        lruAppend(c);
    }

    /** The connection saw its first FIN or RST. */
    void markClosing(Connection c, long at) {
        if (c.closing()) return;
        c.closedAt = at;
        c.closePrev = closeTail;
        c.closeNext = null;
        if (closeTail != null) closeTail.closeNext = c; else closeHead = c;
        closeTail = c;
    }

    /** Every connection, in order of least recently seen (for the end of a capture). */
    Connection first() { return lruHead; }

    private void lruAppend(Connection c) {
        c.lruPrev = lruTail;
        c.lruNext = null;
        if (lruTail != null) lruTail.lruNext = c; else lruHead = c;
        lruTail = c;
    }

    private void lruUnlink(Connection c) {
        if (c.lruPrev != null) c.lruPrev.lruNext = c.lruNext; else lruHead = c.lruNext;
        if (c.lruNext != null) c.lruNext.lruPrev = c.lruPrev; else lruTail = c.lruPrev;
        c.lruPrev = c.lruNext = null;
    }

    private void closeUnlink(Connection c) {
        if (c.closePrev != null) c.closePrev.closeNext = c.closeNext; else closeHead = c.closeNext;
        if (c.closeNext != null) c.closeNext.closePrev = c.closePrev; else closeTail = c.closePrev;
        c.closePrev = c.closeNext = null;
    }

    private void resize() {
        Connection[] old = slots;
        slots = new Connection[old.length * 2];
        mask = slots.length - 1;
        for (Connection c : old) {
            if (c == null) continue;
            int i = c.hash & mask;
            while (slots[i] != null) i = (i + 1) & mask;
            slots[i] = c;
        }
    }
}
