package io.gometro.app;

import io.gometro.capture.PacketHandler;
import io.gometro.decode.PacketView;
import io.gometro.flow.FlowTracker;

import java.lang.foreign.MemorySegment;

/**
 * The hot path of one capture thread: raw bytes in, decoded in place, handed to the
 * thread's tracker. Counts what it skips; allocates nothing, logs nothing.
 */
final class PacketPump implements PacketHandler {
    private final PacketView view = new PacketView();
    private final FlowTracker tracker;
    private final int linkType;

    // Read by the same thread at flush time; plain fields on purpose.
    long packets, tcp, truncated, malformed, fragments, other;

    PacketPump(FlowTracker tracker, int linkType) {
        this.tracker = tracker;
        this.linkType = linkType;
    }

    @Override
    public void onPacket(MemorySegment seg, long offset, int caplen, int wireLen, long tsNanos) {
        packets++;
        switch (view.decode(seg, offset, caplen, linkType)) {
            case PacketView.OK -> { tcp++; tracker.onPacket(view, tsNanos); }
            case PacketView.TRUNCATED -> truncated++;
            case PacketView.MALFORMED -> malformed++;
            case PacketView.FRAGMENT -> fragments++;
            default -> other++;
        }
    }

    @Override
    public void onIdle(long nowNanos) {
        tracker.advanceTo(nowNanos);
    }

    /** Packets skipped because they were cut short or inconsistent. */
    long damaged() { return truncated + malformed; }
}
