package io.gometro.flow;

/**
 * The sample rule: how one RTT sample is taken from a pair of packets. Everything
 * that decides whether a number is trustworthy lives here.
 *
 * <p><b>What is stored.</b> For each measured sender (a {@link Flow}), every segment
 * that occupies sequence space (payload, SYN or FIN) is remembered with its start
 * and end sequence (end = seq + payload + SYN + FIN), and the capture time and TSval
 * of its latest copy (20 bytes). The ACK that proves
 * the segment arrived carries ack >= end, so matching on the END sequence is what
 * lets request/response traffic yield samples (go-metro keyed the start sequence and
 * so never matched a lone request).
 *
 * <p><b>Which ACK yields a sample.</b> Only an ACK from the peer that newly
 * acknowledges data (ack beyond the highest ack seen, but not beyond what was sent),
 * or that newly SACKs a whole remembered segment. It yields at most one sample, chosen
 * as the Linux stack does (tcp_clean_rtx_queue, then tcp_sacktag_one): from the earliest
 * newly cumulatively acknowledged segment that was sent only once; failing that, from
 * the earliest newly SACKed segment sent only once. A duplicate ACK that brings no new
 * SACK information yields nothing. An RST that carries an ACK acknowledges like any ACK (a
 * refused SYN is answered at once: the RST-ACK times it) before the connection closes. Because the sample always comes from the earliest
 * newly covered segment, a late ACK that covers reordered segments does not inflate
 * the figure, unlike pairing each ACK with the segment that ends exactly at it.
 *
 * <p><b>Karn.</b> A segment sent more than once is ambiguous: the ACK may answer
 * either copy. If an ACK cumulatively covers any retransmitted segment, it yields no
 * cumulative sample at all (Linux's FLAG_RETRANS_DATA_ACKED), <i>unless</i> the ACK's
 * TSecr equals the TSval of the latest copy and no two successive copies ever carried the
 * same TSval (TSvals only grow, so the latest copy's is then its own):
 * RFC 7323 says TSecr echoes the segment that filled the receiver's window, so it
 * names the copy, and the sample is taken from that copy's send time. (When TSecr
 * names an earlier copy, a spurious retransmission, no sample is taken: only the
 * latest copy's time is kept.)
 *
 * <p><b>ACKs the capture missed.</b> The kernel sees every ACK; a capture can miss some
 * (ring drops on a busy host, a capture filtered to data). An ACK that then covers segments
 * sent long apart would time the earliest of them across the ACKs in between. So, when the
 * ACK carries timestamps, its TSecr names the segment the receiver answered (RFC 7323:
 * TS.Recent is the TSval of the segment at its last ACK): the sample comes from the earliest
 * newly acknowledged once-sent segment with that TSval; a TSecr later than every TSval the ACK
 * newly covers answers a segment the capture never saw (a pause, a ring drop), and the sample is
 * discarded. Without timestamps (or when TSecr is older), the segments an ACK newly covers must have been sent within
 * {@link #MAX_ACK_SPREAD_NANOS} of each other, the longest delayed-ACK timer of the common
 * stacks: a receiver does not sit on the first one's ACK for longer, so a wider spread means
 * ACKs were missed, and the sample is discarded (and counted).
 *
 * <p><b>Time.</b> Samples come from packet timestamps only, with the capturing host's clock
 * steps taken out by the tracker. A sample that is still negative or longer than
 * {@link #MAX_RTT_NANOS} (TCP's longest retransmission timeout, so no ACK of a once-sent
 * segment can be later) is discarded and counted by the tracker.
 *
 * <p><b>The same bytes seen twice, cut differently.</b> A capture on {@code any} on a host with
 * a bridge sees an upload on the bridge as 64 KB super-segments (GSO) and on the bridge's port
 * as the MSS-sized pieces the kernel cut them into, microseconds later. Bytes seen again within
 * {@link #RESEGMENTED_NANOS} of the copy that holds them are that copy, not a retransmission:
 * no real retransmission comes that soon after its original (a fast retransmit waits for three
 * duplicate ACKs: an RTT at least; a timeout 200 ms). One that did would be timed from its
 * original, off by less than that window. (Byte-identical frames are dropped earlier, by the
 * tracker's copy filter.)
 *
 * <p><b>Partial ACKs.</b> With TSO on the capturing host one captured segment can be
 * tens of kilobytes that the peer acknowledges in pieces. The first ACK that covers
 * part of it yields a sample; later pieces of the same segment do not, since their
 * delay includes the time the rest spent being serialized.
 *
 * <p><b>Memory.</b> The queue per sender is bounded ({@code max_pending}); past the
 * bound new segments are merged into the last entry, which is then ambiguous, so
 * memory stays bounded and the worst case is a missing sample, never a wrong one.
 * The number of flows is bounded by the table ({@link FlowTable}).
 *
 * <p><b>Checked against a second statement.</b> The tests' {@code oracle.ReferenceTracker} writes
 * this rule again in the plainest form, sharing no code with it, and every packet of the bundled
 * and public captures and of the tracker fuzz must get the same answer from both. Change the rule
 * here, and there, and in this header.
 */
final class SampleRule {
    private SampleRule() {}

    /** {@link #onAck}: this ACK yields no sample. */
    static final long NONE = Long.MIN_VALUE;
    /** {@link #onAck}: this ACK would yield a sample, but the capture missed ACKs before it. */
    static final long DISCARDED = Long.MIN_VALUE + 1;
    /** Bytes seen again this soon after their first copy are a re-cut of it (see the header). */
    static final long RESEGMENTED_NANOS = 200_000L;
    /** TCP_RTO_MAX: no once-sent segment is acknowledged later than this. */
    static final long MAX_RTT_NANOS = 120_000_000_000L;
    /** Delayed ACK: 200 ms on Linux (TCP_DELACK_MAX) and Windows; RFC 1122 allows up to 500 ms. */
    static final long MAX_ACK_SPREAD_NANOS = 200_000_000L;
    /**
     * Times in the queue are kept relative to the flow's first segment, plus this bias, so a
     * clock that steps back stays representable (61 bits: +-36 years around the first segment).
     */
    private static final long TIME_BIAS = 1L << 59;
    private static final long TIME_MAX = (1L << 61) - 1;

    private static long relative(Flow f, long at) {
        return Math.clamp(at - f.timeBase + TIME_BIAS, 0, TIME_MAX);
    }

    /** Partially acknowledged and already sampled: its remaining bytes yield no sample. */
    private static final long SAMPLED = SegmentQueue.SACKED;

    /**
     * The sender of {@code f} put [seq, seq+len) on the wire at {@code at}.
     * {@code len} counts SYN and FIN as one each.
     */
    static void onSend(Flow f, int seq, int len, boolean fin, long at, int tsVal) {
        int end = seq + len;
        SegmentQueue q = f.queue;
        if (!f.seqInit) {
            f.seqInit = true;
            f.sndUna = seq;
            f.sndNxt = seq;
            f.timeBase = at;
        }
        at = relative(f, at);
        if (fin) f.finSent = true;
        if (Seq.after(end, f.sndNxt)) {
            if (Seq.before(seq, f.sndNxt)) {
                // Repacketized: old bytes resent together with new ones. The old part is a
                // retransmission, and an ACK of the new part cannot tell the copies apart
                // (unless the old part is a re-cut of what was just seen).
                boolean resent = markResent(q, seq, f.sndNxt, at, tsVal);
                q.append(f.sndNxt, end, at, tsVal, resent ? SegmentQueue.RETRANS : 0);
            } else {
                // seq beyond sndNxt means the capture missed segments; the gap stays
                // unremembered and an ACK over it samples from what we did see.
                q.append(seq, end, at, tsVal, 0);
            }
            f.sndNxt = end;
        } else if (Seq.after(end, f.sndUna)) {
            markResent(q, seq, end, at, tsVal);
        }
        // else: a copy of data already acknowledged; nothing is pending for it.
    }

    /** Marks the remembered segments in [from, to) as sent again; returns whether any really was. */
    private static boolean markResent(SegmentQueue q, int from, int to, long at, int tsVal) {
        boolean any = false;
        for (int i = q.firstEndingAfter(from); i < q.size() && Seq.before(q.start(i), to); i++) {
            if (at - q.sentAt(i) <= RESEGMENTED_NANOS && at >= q.sentAt(i)) continue;   // a re-cut of it
            q.resent(i, at, tsVal);
            any = true;
        }
        return any;
    }

    /**
     * The peer's ACK of {@code f}'s data arrived at {@code at}. Returns the RTT sample in ns
     * (negative or above {@link #MAX_RTT_NANOS} when the clock stepped: the tracker discards
     * it), {@link #NONE} when this ACK yields none, or {@link #DISCARDED}.
     */
    static long onAck(Flow f, int ack, int sackCount, int[] sackLeft, int[] sackRight,
                      boolean hasTs, int tsEcr, long at) {
        if (!f.seqInit) return NONE;
        SegmentQueue q = f.queue;
        at = relative(f, at);
        long sent = -1;          // send time of the earliest newly acked once-sent segment
        long latest = -1;        // ... and of the latest one: their spread
        long named = -1;         // send time of the earliest once-sent segment TSecr names
        int lastTsVal = 0;       // TSval of the latest newly acked once-sent segment
        boolean ambiguous = false;
        long tsSent = -1;        // send time of the retransmitted copy TSecr names, if any

        // An ACK of data never sent is invalid (RFC 793; Linux drops it too).
        if (Seq.after(ack, f.sndUna) && !Seq.after(ack, f.sndNxt)) {
            f.sndUna = ack;
            while (!q.isEmpty() && Seq.after(ack, q.start(0))) {
                long flags = q.flags(0);
                boolean whole = !Seq.after(q.end(0), ack);
                if ((flags & SegmentQueue.RETRANS) != 0) {
                    ambiguous = true;
                    if (tsSent < 0 && hasTs && (flags & SegmentQueue.TS_AMBIGUOUS) == 0 && tsEcr == q.tsVal(0)) {
                        tsSent = q.sentAt(0);
                    }
                } else if ((flags & SegmentQueue.SACKED) == 0) {
                    long t = q.sentAt(0);
                    if (sent < 0) sent = t;
                    latest = Math.max(latest, t);
                    lastTsVal = q.tsVal(0);
                    if (named < 0 && hasTs && tsEcr == q.tsVal(0)) named = t;
                }
                if (whole) {
                    q.popFront();
                } else {
                    q.setStart(0, ack);
                    q.addFlags(0, SAMPLED);
                    break;
                }
            }
        }

        long sample = NONE;
        if (!ambiguous && sent >= 0) {
            if (named >= 0) sample = at - named;
            else if (hasTs && Seq.after(tsEcr, lastTsVal)) sample = DISCARDED;
            else if (latest - sent > MAX_ACK_SPREAD_NANOS) sample = DISCARDED;
            else sample = at - sent;
        } else if (ambiguous && tsSent >= 0) {
            sample = at - tsSent;
        }

        long sackSent = sackCount > 0 ? markSacked(f, q, sackCount, sackLeft, sackRight) : -1;
        if (sample == NONE && sackSent >= 0) sample = at - sackSent;
        // The sender closed and everything is acknowledged: the queue's arrays can go.
        if (f.finSent && q.isEmpty()) q.release();
        return sample;
    }

    /**
     * Marks remembered segments wholly inside a SACK block; returns the first send
     * time of the earliest newly SACKed once-sent segment, or -1.
     */
    private static long markSacked(Flow f, SegmentQueue q, int n, int[] left, int[] right) {
        long earliest = -1;
        for (int b = 0; b < n; b++) {
            int l = left[b], r = right[b];
            // D-SACK and stale blocks lie at or below the cumulative ACK; a block past
            // sndNxt is garbage.
            if (!Seq.after(r, f.sndUna) || Seq.after(r, f.sndNxt) || !Seq.after(r, l)) continue;
            for (int i = q.firstEndingAfter(l); i < q.size(); i++) {
                if (Seq.before(q.start(i), l)) continue;   // not wholly inside
                if (Seq.after(q.end(i), r)) break;
                long flags = q.flags(i);
                if ((flags & SegmentQueue.SACKED) != 0) continue;
                q.addFlags(i, SegmentQueue.SACKED);
                if ((flags & SegmentQueue.RETRANS) == 0) {
                    long t = q.sentAt(i);
                    if (earliest < 0 || t < earliest) earliest = t;
                }
            }
        }
        return earliest;
    }
}
