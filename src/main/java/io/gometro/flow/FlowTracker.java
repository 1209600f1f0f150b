package io.gometro.flow;

import io.gometro.decode.PacketView;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns one capture thread's decoded TCP packets into RTT samples, and drives expiry
 * and reporting. It owns its {@link FlowTable}; nothing here is shared, so nothing is
 * locked.
 *
 * <p><b>Two kinds of time.</b> RTT samples come from packet timestamps only. The schedule
 * (flush ticks, idle and close expiry) runs on the clock its {@link Schedule} names: packet
 * time for a replayed file and tests (deterministic: the highest packet time seen), or the
 * clock its runner passes to {@link #advanceTo} between packets (live: a monotonic clock, so
 * an NTP step or a resumed VM neither stops reporting nor expires every connection).
 *
 * <p><b>Clock steps in packet time.</b> Packet timestamps are the capturing host's wall
 * clock. A capture's time never runs back by more than reordering across CPUs (microseconds),
 * and no ACK of a once-sent segment comes more than {@link SampleRule#MAX_RTT_NANOS} after
 * it; so a jump back of more than {@link #STEP_BACK_NANOS}, or forward of more than that, is
 * the clock stepping (NTP, a resumed VM), and it is taken out: packet time carries on from
 * where it was, so flushes, expiry and every later sample are as if it never happened. A
 * segment in flight across the step cannot be timed (the gap at the step is unknown, and
 * joining it at zero would make samples shorter than the path): its sample is discarded.
 * Smaller forward steps cannot be told from a quiet link here; the live runner sees them
 * against its monotonic clock and makes the tracker forget what was in flight.
 *
 * <p>Per packet: drop copies of a frame already seen ({@link DuplicateFrames}), find the
 * connection (created only when a measured sender puts data, SYN or FIN on the wire; a
 * new SYN on a 4-tuple in use starts a new one), let the packet acknowledge the other
 * direction's segments ({@link SampleRule#onAck}), then remember its own segment
 * ({@link SampleRule#onSend}).
 */
public final class FlowTracker {
    private final TrackerConfig cfg;
    private LocalPolicy local;
    private final FlowListener listener;
    private IntervalSamples intervalSamples;   // null unless percentiles are on
    private final FlowTable table;
    private final boolean packetClock;
    private final boolean flushesItself;
    private final DuplicateFrames copies = new DuplicateFrames();

    private long clock = Long.MIN_VALUE;
    private long nextFlush = Long.MIN_VALUE;
    private long nextId;
    private long evictions;
    private long samples;
    /** A packet time this far before the latest one is the clock stepping back (ntpd steps at 128 ms). */
    static final long STEP_BACK_NANOS = 100_000_000L;
    private long latestTs = Long.MIN_VALUE;   // the latest packet time, steps taken out
    private long stepOffset;                  // added to packet times: the steps taken out so far
    private long stepAt = Long.MIN_VALUE;     // packet time (steps out) where the last step was joined
    private long discarded;
    private boolean flushDue;

    // Reused per packet: SACK blocks copied out of the view.
    private final int[] sackLeft = new int[PacketView.MAX_SACK];
    private final int[] sackRight = new int[PacketView.MAX_SACK];

    // Retired connections and flows, reused so that steady churn allocates nothing.
    // Bounded: a burst of closes must not pin memory forever.
    private static final int POOL_MAX = 1024;
    private final ArrayList<Connection> freeConnections = new ArrayList<>();
    private final ArrayList<Flow> freeFlows = new ArrayList<>();
    private final SegmentPool segmentPool = new SegmentPool();

    // Flows with samples since the last flush; removed flows waiting for that flush.
    private final ArrayList<Flow> fresh = new ArrayList<>();
    private final ArrayList<Flow> removedFlows = new ArrayList<>();
    private final ArrayList<FlowListener.Removal> removedWhy = new ArrayList<>();

    /** Which clock the schedule runs on, and who flushes. */
    public enum Schedule {
        /** Packet time; a due flush runs within {@link #onPacket} (analysis mode, tests). */
        PACKET_TIME,
        /** Packet time; a due flush waits for the runner's {@link #flush()} (the daemon replaying a file). */
        PACKET_TIME_RUNNER_FLUSHES,
        /** The runner's clock ({@link #advanceTo}) and the runner's {@link #flush()} (live). */
        RUNNER_CLOCK
    }

    /** A tracker on packet time that flushes as ticks fall due ({@link Schedule#PACKET_TIME}). */
    public FlowTracker(TrackerConfig cfg, LocalPolicy local, FlowListener listener) {
        this(cfg, local, listener, Schedule.PACKET_TIME);
    }

    /** Where a flush waits for the runner, it checks {@link #flushDue()} between packets. */
    public FlowTracker(TrackerConfig cfg, LocalPolicy local, FlowListener listener, Schedule schedule) {
        this.cfg = cfg;
        this.local = local;
        this.listener = listener;
        this.table = new FlowTable(cfg.maxFlows());
        this.packetClock = schedule != Schedule.RUNNER_CLOCK;
        this.flushesItself = schedule == Schedule.PACKET_TIME;
    }

    /**
     * Every sample from now on also goes to {@code samples} with its pair (percentiles); call it
     * before the first packet. The report reads and clears it at each flush.
     */
    public void keepIntervalSamples(IntervalSamples samples) {
        this.intervalSamples = samples;
    }

    /**
     * Which endpoints are us from the next packet on (the interface's addresses changed): only
     * segments from a local sender are remembered, and those already remembered are still timed
     * by their ACKs. Same thread as {@link #onPacket}.
     */
    public void setLocal(LocalPolicy local) {
        this.local = java.util.Objects.requireNonNull(local, "local");
    }

    /** One decoded TCP packet (decode status OK) captured at {@code ts} ns. */
    public void onPacket(PacketView p, long ts) {
        ts = unstep(ts);
        if (packetClock) advanceTo(ts);
        if (copies.isCopy(p, ts)) return;

        long sHi = p.srcHi(), sLo = p.srcLo(), dHi = p.dstHi(), dLo = p.dstLo();
        int sPort = p.srcPort(), dPort = p.dstPort();
        int flags = p.flags();
        int len = p.payloadLength()
                + ((flags & PacketView.SYN) != 0 ? 1 : 0) + ((flags & PacketView.FIN) != 0 ? 1 : 0);

        // Canonical order: A is the lower endpoint, so both directions find one entry.
        boolean srcIsA = sHi < dHi || (sHi == dHi && (sLo < dLo || (sLo == dLo && sPort <= dPort)));
        long aHi = srcIsA ? sHi : dHi, aLo = srcIsA ? sLo : dLo, bHi = srcIsA ? dHi : sHi, bLo = srcIsA ? dLo : sLo;
        int aPort = srcIsA ? sPort : dPort, bPort = srcIsA ? dPort : sPort;
        int hash = FlowTable.hash(aHi, aLo, aPort, bHi, bLo, bPort);

        Connection c = table.find(aHi, aLo, aPort, bHi, bLo, bPort, hash);
        boolean senderMeasured = len > 0 && local.isLocal(sHi, sLo);
        boolean syn = (flags & PacketView.SYN) != 0;
        if (c != null && syn && (flags & PacketView.ACK) == 0 && (c.closing() || !c.isSynAgain(srcIsA, p.seq()))) {
            // A SYN on a closed 4-tuple, or one with another ISN than the connection's own (its
            // FIN or RST was lost, or never captured), opens a new connection: the old one's
            // segments must not be timed by the new one's ACKs, nor the new one's ignored as old.
            removeConnection(c, FlowListener.Removal.CLOSED);
            c = null;
        }
        if (c == null) {
            if (!senderMeasured) return;
            if (table.full()) evictOldest();
            c = freeConnections.isEmpty() ? new Connection() : freeConnections.removeLast();
            table.insert(c.reuse(nextId++, aHi, aLo, aPort, bHi, bLo, bPort, hash));
        } else {
            table.touch(c);
        }
        c.lastSeen = clock;
        if (syn) c.rememberSyn(srcIsA, p.seq());

        // This packet acknowledges the data flowing the other way.
        Flow acked = srcIsA ? c.toA : c.toB;
        if (acked != null && (flags & PacketView.ACK) != 0) {
            int n = Math.min(p.sackCount(), PacketView.MAX_SACK);
            for (int i = 0; i < n; i++) {
                sackLeft[i] = p.sackLeft(i);
                sackRight[i] = p.sackRight(i);
            }
            boolean ts0 = p.hasTimestamps();
            long rtt = SampleRule.onAck(acked, p.ack(), n, sackLeft, sackRight, ts0, ts0 ? p.tsEcr() : 0, ts);
            if (rtt == SampleRule.DISCARDED
                    || (rtt != SampleRule.NONE && (rtt < 0 || rtt > SampleRule.MAX_RTT_NANOS || ts - rtt < stepAt))) {
                discarded++;
            } else if (rtt != SampleRule.NONE) {
                acked.recordSample(rtt, ts);
                samples++;
                if (!acked.listedFresh) {
                    acked.listedFresh = true;
                    fresh.add(acked);
                }
            }
        }

        if ((flags & PacketView.RST) != 0) {
            // Its ACK counted above (a refused SYN is answered at once); nothing will be acknowledged
            // any more, so the pending segments can go.
            if (c.toA != null) c.toA.queue.release();
            if (c.toB != null) c.toB.queue.release();
            table.markClosing(c, clock);
            return;
        }

        if (senderMeasured) {
            Flow f = srcIsA ? c.toB : c.toA;
            if (f == null) {
                if (freeFlows.isEmpty()) {
                    f = new Flow(c.id, sHi, sLo, sPort, dHi, dLo, dPort, cfg.maxPending(), segmentPool);
                } else {
                    f = freeFlows.removeLast();
                    f.reuse(c.id, sHi, sLo, sPort, dHi, dLo, dPort, cfg.maxPending());
                }
                if (cfg.sketches()) f.keepSketch();
                f.interval = intervalSamples;
                if (srcIsA) c.toB = f; else c.toA = f;
            }
            f.carriedData = true;
            SampleRule.onSend(f, p.seq(), len, (flags & PacketView.FIN) != 0, ts,
                    p.hasTimestamps() ? p.tsVal() : 0);
        }

        if ((flags & PacketView.FIN) != 0) table.markClosing(c, clock);
    }

    /** Packet time with the capturing host's clock steps taken out (see the class comment). */
    private long unstep(long ts) {
        long t = ts + stepOffset;
        if (latestTs != Long.MIN_VALUE && (t < latestTs - STEP_BACK_NANOS || t > latestTs + SampleRule.MAX_RTT_NANOS)) {
            stepOffset += latestTs + 1 - t;
            t = latestTs + 1;
            stepAt = t;
        }
        if (t > latestTs) latestTs = t;
        return t;
    }

    /**
     * The schedule's clock moves to {@code now} (never backwards): drop connections idle for
     * idle_ttl or closed for exp_ttl, and flush when a tick is due (at once, or at the runner's
     * {@link #flush()}, as the {@link Schedule} says). O(1) when nothing is due. The runner of a
     * {@link Schedule#RUNNER_CLOCK} tracker calls it before the first packet too, so that
     * connections are seen at a time of that clock.
     */
    public void advanceTo(long now) {
        if (now <= clock) return;
        clock = now;
        if (nextFlush == Long.MIN_VALUE) nextFlush = now + cfg.flushNanos();
        expire();
        if (now >= nextFlush) {
            long behind = (now - nextFlush) / cfg.flushNanos();
            nextFlush += (behind + 1) * cfg.flushNanos();
            flushDue = true;
            if (flushesItself) flush();
        }
    }

    /** A flush tick has passed since the last {@link #flush()}. */
    public boolean flushDue() { return flushDue; }

    /** End of capture: a last flush, then every remaining connection is removed (Removal.END). */
    public void finish(long now) {
        advanceTo(now);
        for (Connection c = table.first(); c != null; c = table.first()) {
            removeConnection(c, FlowListener.Removal.END);
        }
        flush();
    }

    /**
     * The capture resumes after a pause (duty-cycle sampling): a segment remembered before
     * the pause may have been acknowledged unseen, and a later ACK would then time it across
     * the whole pause. So every flow forgets its unacknowledged segments and starts again
     * from the next one it sees; the estimators and statistics carry on.
     */
    public void forgetInFlight() {
        for (Connection c = table.first(); c != null; c = c.lruNext) {
            if (c.toA != null) c.toA.forgetInFlight(cfg.maxPending());
            if (c.toB != null) c.toB.forgetInFlight(cfg.maxPending());
        }
    }

    public int activeConnections() { return table.size(); }
    public long evictions() { return evictions; }
    public long samples() { return samples; }
    /**
     * Samples thrown away: negative or beyond TCP's longest timeout (the capturing host's clock
     * stepped), or from an ACK that covers segments sent too far apart (the capture missed ACKs).
     */
    public long discarded() { return discarded; }
    /** Frames ignored as copies of one seen a moment before (a capture on {@code any}, a mirror port). */
    public long copies() { return copies.copies(); }
    /** The tracker's packet-time clock, ns. */
    public long clock() { return clock; }

    /** The table itself, for tests in this package that check its bounds while it runs. */
    FlowTable table() { return table; }

    private void expire() {
        long idleBefore = clock - cfg.idleTtlNanos();
        for (Connection c = table.oldestIdle(); c != null && c.lastSeen <= idleBefore; c = table.oldestIdle()) {
            removeConnection(c, FlowListener.Removal.IDLE);
        }
        long closedBefore = clock - cfg.expTtlNanos();
        for (Connection c = table.oldestClosing(); c != null && c.closedAt <= closedBefore; c = table.oldestClosing()) {
            removeConnection(c, FlowListener.Removal.CLOSED);
        }
    }

    private void evictOldest() {
        Connection c = table.oldestIdle();
        if (c == null) return;
        evictions++;
        removeConnection(c, FlowListener.Removal.EVICTED);
    }

    private void removeConnection(Connection c, FlowListener.Removal why) {
        table.remove(c);
        retire(c.toB, why);
        retire(c.toA, why);
        if (freeConnections.size() < POOL_MAX) freeConnections.add(c);
    }

    private void retire(Flow f, FlowListener.Removal why) {
        if (f == null) return;
        if (f.listedFresh) {
            // Its last samples go out with the next flush; tell the listener after that.
            removedFlows.add(f);
            removedWhy.add(why);
            return;
        }
        if (f.carriedData) listener.onRemoved(f, why);
        recycle(f);
    }

    private void recycle(Flow f) {
        if (freeFlows.size() < POOL_MAX) freeFlows.add(f);
    }

    /** Reports every flow with samples since the last flush, then the flows removed since. */
    public void flush() {
        flushDue = false;
        if (!fresh.isEmpty()) {
            listener.onFlush(clock, fresh);
            for (int i = 0; i < fresh.size(); i++) fresh.get(i).clearFresh();
            fresh.clear();
        } else {
            listener.onFlush(clock, List.of());
        }
        for (int i = 0; i < removedFlows.size(); i++) {
            Flow f = removedFlows.get(i);
            listener.onRemoved(f, removedWhy.get(i));
            recycle(f);
        }
        removedFlows.clear();
        removedWhy.clear();
    }
}
