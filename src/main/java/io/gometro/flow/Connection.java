package io.gometro.flow;

/**
 * One TCP connection in the table: its 5-tuple in canonical order (endpoint A is the
 * lower of the two), the measured flow of each direction, and its places in the
 * table's two intrusive lists. Intrusive links keep expiry O(1) per packet with no
 * timer per flow and no per-packet allocation.
 */
final class Connection {
    long aHi, aLo, bHi, bLo;
    int aPort, bPort;
    int hash;
    long id;

    /** Flow of the data A sends (toB) and of the data B sends (toA); null until measured data is sent. */
    Flow toB, toA;

    long lastSeen;          // packet time of the last packet, ns
    long closedAt = -1;     // packet time of the first FIN or RST, ns

    // The ISN of each side's SYN, when one was seen: a SYN with another one is a new connection.
    int synFromA, synFromB;
    boolean sawSynFromA, sawSynFromB;

    // Least-recently-seen list: head is the longest idle.
    Connection lruPrev, lruNext;
    // Closing list, in order of closedAt.
    Connection closePrev, closeNext;

    Connection() {}

    /** Makes a fresh or recycled connection describe a new 5-tuple. */
    Connection reuse(long id, long aHi, long aLo, int aPort, long bHi, long bLo, int bPort, int hash) {
        this.id = id;
        this.aHi = aHi; this.aLo = aLo; this.aPort = aPort;
        this.bHi = bHi; this.bLo = bLo; this.bPort = bPort;
        this.hash = hash;
        toA = toB = null;
        lastSeen = 0;
        closedAt = -1;
        sawSynFromA = sawSynFromB = false;
        lruPrev = lruNext = closePrev = closeNext = null;
        return this;
    }

    boolean matches(long aHi, long aLo, int aPort, long bHi, long bLo, int bPort) {
        return this.aLo == aLo && this.bLo == bLo && this.aPort == aPort && this.bPort == bPort
                && this.aHi == aHi && this.bHi == bHi;
    }

    boolean closing() { return closedAt >= 0; }

    /** Whether a SYN from A (or B) with {@code seq} repeats that side's SYN (a retransmitted SYN). */
    boolean isSynAgain(boolean fromA, int seq) {
        return fromA ? sawSynFromA && synFromA == seq : sawSynFromB && synFromB == seq;
    }

    void rememberSyn(boolean fromA, int seq) {
        if (fromA) { synFromA = seq; sawSynFromA = true; } else { synFromB = seq; sawSynFromB = true; }
    }
}
