package io.gometro.flow;

/**
 * Limits and clocks for one {@link FlowTracker}. All times in nanoseconds of packet time.
 *
 * @param idleTtlNanos  a connection with no packet for this long is dropped
 * @param expTtlNanos   a connection is dropped this long after its FIN or RST
 * @param flushNanos    report interval
 * @param maxFlows      table bound; when full the longest-idle connection is evicted
 * @param maxPending    bound on remembered unacknowledged segments per flow
 * @param sketches      keep a DDSketch per flow (analysis mode: p50/p95)
 */
public record TrackerConfig(long idleTtlNanos, long expTtlNanos, long flushNanos,
                            int maxFlows, int maxPending, boolean sketches) {
    public static final long SECOND = 1_000_000_000L;

    public static TrackerConfig defaults() {
        return new TrackerConfig(300 * SECOND, 60 * SECOND, 30 * SECOND, 100_000, 1024, false);
    }
}
