package io.gometro.app.pipeline;

import io.gometro.capture.PacketHandler;
import io.gometro.decode.PacketView;
import io.gometro.flow.FlowTracker;

import java.lang.foreign.MemorySegment;

/**
 * The hot path of one capture thread: raw bytes in, decoded in place, handed to the
 * thread's tracker. Counts the packets, and those it could not read; allocates nothing,
 * logs nothing. Every {@link #BATCH} packets, and as soon as the tracker has a flush due,
 * it hands control back to its runner (the capture loop returns YIELD), so that the
 * runner's clock, flushes and filter swaps happen between packets, never inside this
 * callback.
 */
public final class PacketPump implements PacketHandler {
    /** Packets between returns to the runner: about 1 ms at 1 M packets/s. */
    static final int BATCH = 1024;

    private final PacketView view = new PacketView();
    private final FlowTracker tracker;
    private final int linkType;
    private int sinceYield;

    // Read by the same thread between packets; plain fields on purpose.
    private long packets, truncated, malformed;

    public PacketPump(FlowTracker tracker, int linkType) {
        this.tracker = tracker;
        this.linkType = linkType;
    }

    @Override
    public boolean onPacket(MemorySegment seg, long offset, int caplen, int wireLen, long tsNanos) {
        packets++;
        switch (view.decode(seg, offset, caplen, linkType)) {
            case PacketView.OK -> tracker.onPacket(view, tsNanos);
            case PacketView.TRUNCATED -> truncated++;
            case PacketView.MALFORMED -> malformed++;
            default -> { }   // not TCP, or a later fragment: nothing to measure
        }
        if (++sinceYield >= BATCH || tracker.flushDue()) {
            sinceYield = 0;
            return false;
        }
        return true;
    }

    /** Packets read so far, whatever they held. */
    public long packets() { return packets; }

    /** Packets skipped because they were cut short or inconsistent. */
    public long damaged() { return truncated + malformed; }
}
