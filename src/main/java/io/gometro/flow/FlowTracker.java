package io.gometro.flow;

import io.gometro.decode.PacketView;

import java.util.ArrayList;
import java.util.List;

/**
 * Turns one capture thread's decoded TCP packets into RTT samples, and drives expiry
 * and reporting from packet time. It owns its {@link FlowTable}; nothing here is
 * shared, so nothing is locked. The clock is the highest packet time seen (a live
 * read timeout advances it with the wall clock), which makes offline runs of a
 * capture give exactly the results the live run would have.
 *
 * <p>Per packet: find the connection (created only when a measured sender puts data,
 * SYN or FIN on the wire), let the packet acknowledge the other direction's
 * segments ({@link SampleRule#onAck}), then remember its own segment
 * ({@link SampleRule#onSend}).
 */
public final class FlowTracker {
    private final TrackerConfig cfg;
    private LocalPolicy local;
    private final FlowListener listener;
    private final FlowTable table;

    private long clock = Long.MIN_VALUE;
    private long nextFlush = Long.MIN_VALUE;
    private long nextId;
    private long evictions;
    private long samples;

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

    public FlowTracker(TrackerConfig cfg, LocalPolicy local, FlowListener listener) {
        this.cfg = cfg;
        this.local = local;
        this.listener = listener;
        this.table = new FlowTable(cfg.maxFlows());
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
        advanceTo(ts);

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
        if (c != null && (flags & (PacketView.SYN | PacketView.ACK)) == PacketView.SYN && c.closing()) {
            // A new SYN on a closed 4-tuple is a new connection (port reuse).
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

        if ((flags & PacketView.RST) != 0) {
            // Nothing will be acknowledged any more: the pending segments can go.
            if (c.toA != null) c.toA.queue.release();
            if (c.toB != null) c.toB.queue.release();
            table.markClosing(c, clock);
            return;
        }

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
            if (rtt >= 0) {
                acked.recordSample(rtt, ts);
                samples++;
                if (!acked.listedFresh) {
                    acked.listedFresh = true;
                    fresh.add(acked);
                }
            }
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
                if (srcIsA) c.toB = f; else c.toA = f;
            }
            f.carriedData = true;
            SampleRule.onSend(f, p.seq(), len, (flags & PacketView.FIN) != 0, ts,
                    p.hasTimestamps() ? p.tsVal() : 0);
        }

        if ((flags & PacketView.FIN) != 0) table.markClosing(c, clock);
    }

    /**
     * Packet time moves to {@code now} (never backwards): flush when a tick is due, drop
     * connections idle for idle_ttl or closed for exp_ttl. O(1) when nothing is due.
     */
    public void advanceTo(long now) {
        if (now <= clock) return;
        clock = now;
        if (nextFlush == Long.MIN_VALUE) nextFlush = now + cfg.flushNanos();
        expire();
        if (now >= nextFlush) {
            flush();
            long behind = (now - nextFlush) / cfg.flushNanos();
            nextFlush += (behind + 1) * cfg.flushNanos();
        }
    }

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

    private void flush() {
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
