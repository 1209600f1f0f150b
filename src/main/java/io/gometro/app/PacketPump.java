package io.gometro.app;

import io.gometro.capture.PacketHandler;
import io.gometro.decode.PacketView;
import io.gometro.flow.FlowTracker;

import java.lang.foreign.MemorySegment;

/**
 * The hot path of one capture thread: raw bytes in, decoded in place, handed to the
 * thread's tracker. Counts what it skips; allocates nothing, logs nothing. Every
 * {@link #BATCH} packets it hands control back to its runner (the capture loop returns
 * YIELD), and on packet time also when a flush falls due, so that the runner's clock,
 * flushes and filter swaps happen between packets, never inside this callback.
 */
final class PacketPump implements PacketHandler {
    /** Packets between returns to the runner: about 1 ms at 1 M packets/s. */
    static final int BATCH = 1024;

    private final PacketView view = new PacketView();
    private final FlowTracker tracker;
    private final int linkType;
    private final boolean packetTime;   // the runner's clock is packet time (a replayed file)
    private int sinceYield;

    // Read by the same thread between packets; plain fields on purpose.
    long packets, tcp, truncated, malformed, fragments, other;
    /** The highest packet time seen, ns (Long.MIN_VALUE before the first packet). */
    long lastTs = Long.MIN_VALUE;

    /** @param packetTime yield as soon as a packet's time reaches the tracker's next flush */
    PacketPump(FlowTracker tracker, int linkType, boolean packetTime) {
        this.tracker = tracker;
        this.linkType = linkType;
        this.packetTime = packetTime;
    }

    @Override
    public boolean onPacket(MemorySegment seg, long offset, int caplen, int wireLen, long tsNanos) {
        packets++;
        if (tsNanos > lastTs) lastTs = tsNanos;
        switch (view.decode(seg, offset, caplen, linkType)) {
            case PacketView.OK -> { tcp++; tracker.onPacket(view, tsNanos); }
            case PacketView.TRUNCATED -> truncated++;
            case PacketView.MALFORMED -> malformed++;
            case PacketView.FRAGMENT -> fragments++;
            default -> other++;
        }
        if (++sinceYield >= BATCH || (packetTime && tsNanos >= tracker.nextFlushAt())) {
            sinceYield = 0;
            return false;
        }
        return true;
    }

    /** Packets skipped because they were cut short or inconsistent. */
    long damaged() { return truncated + malformed; }
}
