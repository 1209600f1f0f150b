package io.gometro.oracle;

import io.gometro.decode.PacketView;
import io.gometro.flow.LocalPolicy;
import io.gometro.flow.TrackerConfig;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sample rule written a second time, from SampleRule's header and FlowTracker's class comment
 * rather than from their code, in the plainest form there is: every segment a sender put on the wire
 * is an object with the list of its copies, every connection sits in a map, and each ACK scans every
 * remembered segment. It shares no code with io.gometro.flow's rule, queue or table (it cannot see
 * them: this package only has their public face), is slow on purpose, and allocates freely.
 * {@link Agreement} runs it beside the real tracker and asks both, for every packet, whether it
 * yields a sample, which, or a discarded one.
 *
 * <p>The rule, as stated here:
 * <ol>
 * <li><b>Time.</b> A packet more than 100 ms older than the latest one, or more than 120 s newer, is
 *     the capturing host's clock stepping: packet time carries on 1 ns after the latest one, and a
 *     segment sent before that point is never timed (its sample is discarded).
 * <li><b>Copies.</b> A frame equal to one seen at most 10 ms before (1 ms when it carries neither an
 *     IPv4 identification nor timestamps) in addresses, ports, seq, ack, payload length, flags,
 *     window, IP identification, timestamps and first SACK block is a copy and is ignored; the
 *     first frame's time stays.
 * <li><b>Connections.</b> One per unordered pair of endpoints, made when a local sender puts data,
 *     SYN or FIN on the wire. A bare SYN on a connection that is closing, or with another sequence
 *     number than the SYN that side sent before, ends it and starts a new one. A connection is
 *     dropped when idle for idle_ttl or closed (first FIN or RST) for exp_ttl; when max_flows are
 *     held, the least recently seen is dropped to make room.
 * <li><b>What is remembered.</b> Each segment that occupies sequence space, [seq, seq + payload +
 *     SYN + FIN), beyond the highest sequence sent; bytes below it that are not yet acknowledged are
 *     a copy of the segments holding them, unless they come within 200 us of those segments'
 *     latest copy (a re-cut). New bytes sent together with really resent ones are ambiguous. Past
 *     max_pending segments, new ones are merged into the last, which is then ambiguous for good.
 * <li><b>Which ACK yields a sample.</b> An ACK from the peer, above the highest ACK seen and not
 *     above the highest sequence sent, covers every remembered segment that starts below it; the
 *     segments it covers whole are forgotten, one it covers in part is cut at the ACK and yields no
 *     sample again. If any covered segment was sent more than once, the ACK yields a sample only
 *     when it carries timestamps, its TSecr equals the latest copy's TSval of the first such segment
 *     to match, and no two successive copies of that segment ever shared a TSval (nor was it a
 *     merge): the sample is timed from that copy. Otherwise the once-sent covered segments not yet
 *     SACKed or sampled are the candidates: the sample comes from the first of them whose TSval the
 *     TSecr names; failing that, it is discarded when TSecr is later than the last candidate's TSval
 *     or the candidates were sent more than 200 ms apart; else it comes from the first candidate.
 * <li><b>SACK.</b> Then each SACK block above the cumulative ACK and not above the highest
 *     sequence sent marks the segments it holds whole; if the ACK yielded nothing so far, the
 *     earliest-sent once-sent segment newly marked gives the sample.
 * <li><b>Bounds.</b> A sample below zero or above 120 s is discarded. An RST acknowledges like any
 *     ACK, then every segment of the connection is forgotten.
 * </ol>
 */
public final class ReferenceTracker {
    static final long STEP_BACK = 100_000_000L;
    static final long MAX_RTT = 120_000_000_000L;
    static final long RECUT = 200_000L;
    static final long ACK_SPREAD = 200_000_000L;
    static final long COPY_WINDOW = 10_000_000L;
    static final long BARE_COPY_WINDOW = 1_000_000L;

    /** What one packet yields. */
    public enum Kind { NOTHING, SAMPLE, DISCARDED }

    /** One packet's result: a sample (with the data sender and receiver), a discarded one, or nothing. */
    public record Outcome(Kind kind, long rttNanos, long srcHi, long srcLo, long dstHi, long dstLo) {
        static final Outcome NOTHING = new Outcome(Kind.NOTHING, 0, 0, 0, 0, 0);
        static final Outcome DISCARDED = new Outcome(Kind.DISCARDED, 0, 0, 0, 0, 0);

        @Override public String toString() {
            return kind == Kind.SAMPLE ? "sample " + rttNanos + " ns" : kind.toString().toLowerCase();
        }
    }

    record Endpoint(long hi, long lo, int port) {}

    record Pair(Endpoint one, Endpoint other) {
        /** The same key whichever side sends. */
        static Pair of(Endpoint a, Endpoint b) {
            return a.hashCode() < b.hashCode() || (a.hashCode() == b.hashCode() && a.toString().compareTo(b.toString()) <= 0)
                    ? new Pair(a, b) : new Pair(b, a);
        }
    }

    record Copy(long at, int tsVal) {}

    static final class Segment {
        int start;
        final int end;
        final List<Copy> copies = new ArrayList<>();
        boolean sentWithResentBytes;   // new bytes in a packet that also resent old ones
        boolean merged;                // past max_pending
        boolean sacked;
        boolean sampled;               // cut by a partial ACK

        Segment(int start, int end) {
            this.start = start;
            this.end = end;
        }

        Copy latest() { return copies.getLast(); }
        boolean sentMoreThanOnce() { return copies.size() > 1 || sentWithResentBytes || merged; }

        /** TSecr can name this segment's latest copy: no two successive copies shared a TSval. */
        boolean copiesTellable() {
            if (merged) return false;
            for (int i = 1; i < copies.size(); i++) if (copies.get(i).tsVal() == copies.get(i - 1).tsVal()) return false;
            return true;
        }
    }

    /** One sender's data. */
    static final class Sender {
        final Endpoint from, to;
        boolean started;
        int highestAck, highestSent;
        final List<Segment> segments = new ArrayList<>();   // in sequence order, none acknowledged whole

        Sender(Endpoint from, Endpoint to) {
            this.from = from;
            this.to = to;
        }
    }

    static final class Connection {
        final Map<Endpoint, Sender> senders = new HashMap<>();
        final Map<Endpoint, Integer> synSeq = new HashMap<>();
        long lastSeen;
        Long closedAt;   // null while open
    }

    record Frame(long srcHi, long srcLo, long dstHi, long dstLo, int srcPort, int dstPort, int seq, int ack,
                 int payload, int flags, int window, int ipId, boolean ts, int tsVal, int tsEcr,
                 boolean sack, int sackLeft, int sackRight) {
        static Frame of(PacketView p) {
            boolean sack = p.sackCount() > 0;
            return new Frame(p.srcHi(), p.srcLo(), p.dstHi(), p.dstLo(), p.srcPort(), p.dstPort(), p.seq(), p.ack(),
                    p.payloadLength(), p.flags(), p.window() & 0xffff, p.ipId(), p.hasTimestamps(),
                    p.hasTimestamps() ? p.tsVal() : 0, p.hasTimestamps() ? p.tsEcr() : 0,
                    sack, sack ? p.sackLeft(0) : 0, sack ? p.sackRight(0) : 0);
        }
    }

    private final TrackerConfig cfg;
    private final LocalPolicy local;
    private final LinkedHashMap<Pair, Connection> connections = new LinkedHashMap<>();   // least recently seen first
    private final Map<Frame, Long> framesSeen = new HashMap<>();
    private long latest = Long.MIN_VALUE, shift, stepAt = Long.MIN_VALUE;
    private long clock = Long.MIN_VALUE;

    public ReferenceTracker(TrackerConfig cfg, LocalPolicy local) {
        this.cfg = cfg;
        this.local = local;
    }

    /**
     * One decoded packet captured at {@code ts}, through every rule in order: its outcome, or null
     * when it is a copy. ({@link Agreement} takes the steps one by one, to set the copy rule beside
     * the tracker's table.)
     */
    public Outcome offer(PacketView p, long ts) {
        long t = unstep(ts);
        advance(t);
        return isCopy(p, t) ? null : onPacket(p, t);
    }

    /** Rule 1: packet time with the clock's steps taken out. Call once per packet, first. */
    public long unstep(long ts) {
        long t = ts + shift;
        if (latest != Long.MIN_VALUE && (t < latest - STEP_BACK || t > latest + MAX_RTT)) {
            shift += latest + 1 - t;
            t = latest + 1;
            stepAt = t;
        }
        latest = Math.max(latest, t);
        return t;
    }

    /** The clock moves on to {@code t} (never back), and what has idled or closed long enough goes (rule 3). */
    public void advance(long t) {
        if (t <= clock) return;
        clock = t;
        connections.values().removeIf(c -> c.lastSeen <= clock - cfg.idleTtlNanos()
                || (c.closedAt != null && c.closedAt <= clock - cfg.expTtlNanos()));
    }

    /** Rule 2: whether this frame, at unstepped time {@code t}, is a copy of one seen just before. */
    public boolean isCopy(PacketView p, long t) {
        Frame f = Frame.of(p);
        Long first = framesSeen.get(f);
        long window = p.ipId() > 0 || p.hasTimestamps() ? COPY_WINDOW : BARE_COPY_WINDOW;
        if (first != null && t - first >= 0 && t - first <= window) return true;
        framesSeen.put(f, t);
        // No later packet comes before latest - STEP_BACK (that is a step), so older frames can go.
        if (framesSeen.size() > 100_000) framesSeen.values().removeIf(seen -> seen < latest - STEP_BACK - COPY_WINDOW);
        return false;
    }

    /**
     * The real tracker's table may forget a frame (a direct-mapped slot taken by another): this
     * frame is then taken as new there, and so here too, from now on with this time.
     */
    public void notACopy(PacketView p, long t) {
        framesSeen.put(Frame.of(p), t);
    }

    /** A packet that is not a copy, at unstepped time {@code t}, after {@link #advance}: rules 3 to 7. */
    public Outcome onPacket(PacketView p, long t) {
        Endpoint src = new Endpoint(p.srcHi(), p.srcLo(), p.srcPort());
        Endpoint dst = new Endpoint(p.dstHi(), p.dstLo(), p.dstPort());
        boolean syn = (p.flags() & PacketView.SYN) != 0, fin = (p.flags() & PacketView.FIN) != 0;
        boolean ackFlag = (p.flags() & PacketView.ACK) != 0, rst = (p.flags() & PacketView.RST) != 0;
        int len = p.payloadLength() + (syn ? 1 : 0) + (fin ? 1 : 0);
        boolean measured = len > 0 && local.isLocal(src.hi(), src.lo());

        Pair key = Pair.of(src, dst);
        Connection c = connections.get(key);
        if (c != null && syn && !ackFlag) {
            Integer before = c.synSeq.get(src);
            if (c.closedAt != null || before == null || before != p.seq()) {
                connections.remove(key);
                c = null;
            }
        }
        if (c == null) {
            if (!measured) return Outcome.NOTHING;
            if (connections.size() >= cfg.maxFlows()) {
                Iterator<Pair> oldest = connections.keySet().iterator();
                oldest.next();
                oldest.remove();
            }
            c = new Connection();
        } else {
            connections.remove(key);
        }
        connections.put(key, c);   // now the most recently seen
        c.lastSeen = clock;
        if (syn) c.synSeq.put(src, p.seq());

        Outcome out = Outcome.NOTHING;
        Sender acked = src.equals(dst) ? null : c.senders.get(dst);
        if (acked != null && ackFlag) {
            int n = Math.min(p.sackCount(), PacketView.MAX_SACK);
            int[][] blocks = new int[n][];
            for (int i = 0; i < n; i++) blocks[i] = new int[] {p.sackLeft(i), p.sackRight(i)};
            Long sentAt = sampleFrom(acked, p.ack(), blocks, p.hasTimestamps(), p.tsEcr());
            if (sentAt == DISCARD) {
                out = Outcome.DISCARDED;
            } else if (sentAt != null) {
                long rtt = t - sentAt;
                out = rtt < 0 || rtt > MAX_RTT || sentAt < stepAt ? Outcome.DISCARDED
                        : new Outcome(Kind.SAMPLE, rtt, acked.from.hi(), acked.from.lo(), acked.to.hi(), acked.to.lo());
            }
        }
        if (rst) {
            for (Sender s : c.senders.values()) s.segments.clear();
            if (c.closedAt == null) c.closedAt = clock;
            return out;
        }
        if (measured) send(c.senders.computeIfAbsent(src, e -> new Sender(src, dst)), p.seq(), len, t,
                p.hasTimestamps() ? p.tsVal() : 0);
        if (fin && c.closedAt == null) c.closedAt = clock;
        return out;
    }

    /** Rule 4. */
    private void send(Sender s, int seq, int len, long at, int tsVal) {
        int end = seq + len;
        if (!s.started) {
            s.started = true;
            s.highestAck = seq;
            s.highestSent = seq;
        }
        if (after(end, s.highestSent)) {
            boolean resent = before(seq, s.highestSent) && sentAgain(s, seq, s.highestSent, at, tsVal);
            int from = before(seq, s.highestSent) ? s.highestSent : seq;
            if (s.segments.size() >= Math.max(2, cfg.maxPending())) {
                Segment last = s.segments.getLast();
                s.segments.set(s.segments.size() - 1, extended(last, end));
            } else {
                Segment g = new Segment(from, end);
                g.copies.add(new Copy(at, tsVal));
                g.sentWithResentBytes = resent;
                s.segments.add(g);
            }
            s.highestSent = end;
        } else if (after(end, s.highestAck)) {
            sentAgain(s, seq, end, at, tsVal);
        }
    }

    private static Segment extended(Segment last, int end) {
        Segment m = new Segment(last.start, end);
        m.copies.addAll(last.copies);
        m.sentWithResentBytes = last.sentWithResentBytes;
        m.merged = true;
        m.sacked = last.sacked;
        m.sampled = last.sampled;
        return m;
    }

    /** Bytes [from, to) sent again: a copy of every segment they touch, but for re-cuts. */
    private static boolean sentAgain(Sender s, int from, int to, long at, int tsVal) {
        boolean any = false;
        for (Segment g : s.segments) {
            if (!after(g.end, from) || !before(g.start, to)) continue;
            long since = at - g.latest().at();
            if (since >= 0 && since <= RECUT) continue;
            g.copies.add(new Copy(at, tsVal));
            any = true;
        }
        return any;
    }

    private static final Long DISCARD = Long.MIN_VALUE;

    /** Rules 5 and 6: the send time the ACK times, {@link #DISCARD}, or null for none. */
    private static Long sampleFrom(Sender s, int ack, int[][] sack, boolean hasTs, int tsEcr) {
        if (!s.started) return null;
        Long result = null;
        if (after(ack, s.highestAck) && !after(ack, s.highestSent)) {
            s.highestAck = ack;
            List<Segment> covered = new ArrayList<>();
            for (Segment g : s.segments) if (before(g.start, ack)) covered.add(g);
            boolean ambiguous = covered.stream().anyMatch(Segment::sentMoreThanOnce);
            if (ambiguous) {
                for (Segment g : covered) {
                    if (g.sentMoreThanOnce() && hasTs && g.copiesTellable() && g.latest().tsVal() == tsEcr) {
                        result = g.latest().at();
                        break;
                    }
                }
            } else {
                List<Segment> candidates = covered.stream().filter(g -> !g.sacked && !g.sampled).toList();
                if (!candidates.isEmpty()) {
                    Segment named = hasTs ? candidates.stream().filter(g -> g.latest().tsVal() == tsEcr).findFirst().orElse(null) : null;
                    long first = candidates.getFirst().latest().at();
                    long last = candidates.stream().mapToLong(g -> g.latest().at()).max().orElseThrow();
                    if (named != null) result = named.latest().at();
                    else if (hasTs && after(tsEcr, candidates.getLast().latest().tsVal())) result = DISCARD;
                    else if (last - first > ACK_SPREAD) result = DISCARD;
                    else result = first;
                }
            }
            for (Segment g : covered) {
                if (after(g.end, ack)) {
                    g.start = ack;
                    g.sampled = true;
                } else {
                    s.segments.remove(g);
                }
            }
        }
        Long bySack = null;
        for (int[] b : sack) {
            int l = b[0], r = b[1];
            if (!after(r, s.highestAck) || after(r, s.highestSent) || !after(r, l)) continue;
            for (Segment g : s.segments) {
                if (before(g.start, l) || after(g.end, r) || g.sacked || g.sampled) continue;
                g.sacked = true;
                if (!g.sentMoreThanOnce() && (bySack == null || g.latest().at() < bySack)) bySack = g.latest().at();
            }
        }
        return result == null ? bySack : result;
    }

    static boolean before(int a, int b) { return a - b < 0; }
    static boolean after(int a, int b) { return a - b > 0; }
}
