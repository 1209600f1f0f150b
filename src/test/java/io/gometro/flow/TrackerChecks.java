package io.gometro.flow;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A listener that checks a tracker's invariants as it runs: samples within [0, capture span],
 * each removed flow reported once and never reported fresh afterwards; and a scan of the
 * live table for the flow and pending-segment bounds. Shared by the fuzz and flood tests.
 */
class TrackerChecks implements FlowListener {
    private final TrackerConfig cfg;
    /** Keep every flow to check exactly-once removal (not for floods: it would hold them all). */
    private final boolean retain;
    private long minTs = Long.MAX_VALUE, maxTs = Long.MIN_VALUE;

    /**
     * A flow's identity: the tracker recycles Flow objects, so the same object serves a
     * later connection; a connection id plus the sender names one flow for good.
     */
    record Key(long id, long srcHi, long srcLo, int srcPort) {
        static Key of(Flow f) { return new Key(f.id(), f.srcHi(), f.srcLo(), f.srcPort()); }
    }

    final Set<Key> removed = new HashSet<>();
    final Set<Key> seenCarrying = new HashSet<>();
    long flushes, freshReported, removals, maxPendingSeen;
    final long[] removalsByWhy = new long[Removal.values().length];

    TrackerChecks(TrackerConfig cfg, boolean retain) {
        this.cfg = cfg;
        this.retain = retain;
    }

    /** Call with every packet time fed to the tracker, before feeding it. */
    void packetTime(long ts) {
        if (ts < minTs) minTs = ts;
        if (ts > maxTs) maxTs = ts;
    }

    long span() { return maxTs == Long.MIN_VALUE ? 0 : maxTs - minTs; }

    @Override
    public void onFlush(long now, List<Flow> fresh) {
        flushes++;
        for (Flow f : fresh) {
            freshReported++;
            if (retain) assertFalse(removed.contains(Key.of(f)), "a flow was reported fresh after its removal");
            assertTrue(f.freshSamples() > 0, "fresh flow without fresh samples");
            checkSamples(f);
        }
    }

    @Override
    public void onRemoved(Flow f, Removal why) {
        removals++;
        removalsByWhy[why.ordinal()]++;
        assertTrue(f.carriedData(), "removed flow never carried data");
        if (retain && !removed.add(Key.of(f))) fail("flow " + f.id() + " reported removed twice (" + why + ")");
        checkSamples(f);
    }

    private void checkSamples(Flow f) {
        if (f.samples() == 0) return;
        long span = span();
        assertTrue(f.minRttNanos() >= 0, "negative sample " + f.minRttNanos());
        assertTrue(f.maxRttNanos() <= span, "sample " + f.maxRttNanos() + " ns above the capture span " + span);
        assertTrue(f.lastRttNanos() >= f.minRttNanos() && f.lastRttNanos() <= f.maxRttNanos(), "last outside [min,max]");
        assertTrue(f.srttNanos() >= 0 && f.srttNanos() <= span + 1, "srtt " + f.srttNanos());
        assertTrue(f.rttvarNanos() >= 0, "rttvar " + f.rttvarNanos());
    }

    /**
     * Walks the live table: size within max_flows and consistent with the tracker's count,
     * pending segments within max_pending. Remembers every flow that carried data.
     */
    void scan(FlowTracker t) {
        FlowTable table = t.table();
        int n = 0;
        for (Connection c = table.first(); c != null; c = c.lruNext) {
            n++;
            scanFlow(c.toA);
            scanFlow(c.toB);
        }
        assertEquals(t.activeConnections(), n, "table size vs its idle list");
        assertTrue(n <= cfg.maxFlows(), n + " connections > max_flows " + cfg.maxFlows());
    }

    private void scanFlow(Flow f) {
        if (f == null) return;
        int p = f.pendingSegments();
        if (p > maxPendingSeen) maxPendingSeen = p;
        assertTrue(p <= cfg.maxPending(), p + " pending segments > max_pending " + cfg.maxPending());
        if (retain && f.carriedData()) {
            seenCarrying.add(Key.of(f));
            assertFalse(removed.contains(Key.of(f)), "a removed flow is still in the table");
        }
    }

    /** After {@link FlowTracker#finish}: nothing left, every data flow reported exactly once. */
    void checkFinished(FlowTracker t) {
        assertEquals(0, t.activeConnections(), "connections left after finish");
        for (Key k : seenCarrying) {
            assertTrue(removed.contains(k), "flow " + k.id() + " carried data but was never reported removed");
        }
        if (retain) assertEquals(removed.size(), removals);
    }
}
