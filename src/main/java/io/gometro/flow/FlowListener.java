package io.gometro.flow;

import java.util.List;

/** What a {@link FlowTracker} tells the outside world. Called on the capture thread. */
public interface FlowListener {
    /**
     * A flush tick of packet time: every flow with samples since the previous tick.
     * The list and the flows are only valid during the call; copy what you keep.
     */
    void onFlush(long nowNanos, List<Flow> fresh);

    /** Why a connection left the table. */
    enum Removal { IDLE, CLOSED, EVICTED, END }

    /**
     * A flow that carried data left the table. Called once per such flow, after the
     * flush that reported its last samples. The tracker recycles the flow after this
     * returns: copy what you keep.
     */
    default void onRemoved(Flow flow, Removal why) {}
}
