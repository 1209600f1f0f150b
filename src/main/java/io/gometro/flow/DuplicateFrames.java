package io.gometro.flow;

import io.gometro.decode.PacketView;

/**
 * Recognises a frame the capture saw twice: the same packet on two interfaces of one
 * capture ({@code interface: any} on a host with a bridge, a bond or VLAN sub-interfaces),
 * or on both sides of a router behind a mirror port. Taken as a new segment, the second
 * copy looks like a retransmission and Karn then throws away every sample of the flow.
 *
 * <p>A copy has the same addresses, ports, seq, ack, payload length, flags, window, TSval,
 * TSecr, first SACK block and IPv4 identification as a frame seen a moment before. A real
 * retransmission differs in the IP identification (senders number each packet) or in TSval
 * (a 1 ms tick on Linux), or comes later: so the window is {@link #IDENTIFIED_WINDOW_NANOS}
 * when the frame carries either, and only {@link #BARE_WINDOW_NANOS} when it carries neither
 * (IPv6 without timestamps), where a fast retransmission on a LAN could otherwise pass for a
 * copy. Copies in public captures lie 0-10 ms apart (p99 9.8 ms on a mirror port, 0.75 ms
 * on an {@code any} capture). Copies can be interleaved with other frames, so the last
 * frames are kept in a 4-way set-associative table of 64-bit fingerprints, the oldest of a set
 * giving way: a frame is forgotten only when four later ones fall in its set first (the copy is
 * then taken for a retransmission). A direct-mapped table missed 21 of the 887 copies in a public
 * capture of 3,000 frames in 6 ms; four ways miss none there. A false match needs two frames with
 * equal 64-bit fingerprints within the window.
 *
 * <p>Fixed size, no allocation per packet, owned by one capture thread.
 */
final class DuplicateFrames {
    static final long IDENTIFIED_WINDOW_NANOS = 10_000_000L;
    static final long BARE_WINDOW_NANOS = 1_000_000L;
    /** Frames kept per set: a burst must put four frames in a set within the window to push one out. */
    private static final int WAYS = 4;
    private static final int SLOTS = 1 << 13;   // 128 KiB: ~10 ms of frames at 800 k packets/s

    private final long[] prints = new long[SLOTS];
    private final long[] seenAt = new long[SLOTS];
    private long copies;

    /** True when {@code p}, captured at {@code ts}, is a copy of a frame seen within the window. */
    boolean isCopy(PacketView p, long ts) {
        long h = fingerprint(p);
        int set = (int) (h >>> 40) & (SLOTS - WAYS);
        int victim = set;
        for (int i = set; i < set + WAYS; i++) {
            if (prints[i] == h && h != 0) {
                long age = ts - seenAt[i];
                boolean identified = p.ipId() > 0 || p.hasTimestamps();
                if (age >= 0 && age <= (identified ? IDENTIFIED_WINDOW_NANOS : BARE_WINDOW_NANOS)) {
                    copies++;
                    return true;   // the first copy's time stays: a third copy is matched against it
                }
                victim = i;        // the same frame, too old: its place is the one to take
                break;
            }
            if (seenAt[i] < seenAt[victim]) victim = i;
        }
        prints[victim] = h;
        seenAt[victim] = ts;
        return false;
    }

    /** Frames recognised as copies so far. */
    long copies() { return copies; }

    private static long fingerprint(PacketView p) {
        long h = mix(p.srcHi() ^ mix(p.srcLo()));
        h = mix(h ^ p.dstHi()) ^ mix(p.dstLo() + h);
        h = mix(h ^ ((long) p.srcPort() << 48 | (long) p.dstPort() << 32 | (p.seq() & 0xffff_ffffL)));
        h = mix(h ^ ((long) p.ack() << 32 | (p.payloadLength() & 0xffff_ffffL)));
        h = mix(h ^ ((long) p.flags() << 48 | (long) (p.window() & 0xffff) << 32 | (p.ipId() & 0xffff_ffffL)));
        if (p.hasTimestamps()) h = mix(h ^ ((long) p.tsVal() << 32 | (p.tsEcr() & 0xffff_ffffL)));
        if (p.sackCount() > 0) h = mix(h ^ ((long) p.sackLeft(0) << 32 | (p.sackRight(0) & 0xffff_ffffL)));
        return h;
    }

    /** SplitMix64's finaliser. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
