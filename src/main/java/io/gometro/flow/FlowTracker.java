package io.gometro.flow;

import io.gometro.decode.PacketView;

/**
 * STUB (being written by the lead): per capture thread, turns decoded packets into RTT samples.
 */
public final class FlowTracker {
    public FlowTracker(TrackerConfig cfg, LocalPolicy local, FlowListener listener) {}
    /** One decoded TCP packet (status OK) captured at {@code tsNanos}. */
    public void onPacket(PacketView p, long tsNanos) { throw new UnsupportedOperationException(); }
    /** Packet time moves on without a packet (live read timeout). */
    public void advanceTo(long nowNanos) { throw new UnsupportedOperationException(); }
    /** End of capture: a last flush, then every remaining flow is removed (Removal.END). */
    public void finish(long nowNanos) { throw new UnsupportedOperationException(); }
    public int activeConnections() { throw new UnsupportedOperationException(); }
    public long evictions() { throw new UnsupportedOperationException(); }
}
