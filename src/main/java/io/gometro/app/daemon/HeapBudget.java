package io.gometro.app.daemon;

import io.gometro.config.ConfigKey;
import io.gometro.flow.IntervalSamples;
import io.gometro.config.ConfigException;
import io.gometro.config.GoMetroConfig;

/**
 * Whether the flow tables the config asks for fit in the heap go-metro runs with, checked at
 * start: a table that fills under a flood must not end in an out-of-memory exit and a restart
 * loop. An unset {@code max_flows} (100 000 per instance) is lowered so that every instance's
 * table fits; one that was set and does not fit stops go-metro with one line naming the key.
 */
public final class HeapBudget {
    private HeapBudget() {}

    /**
     * Heap per tracked connection: 407 bytes measured for 100 000 connections, each with one
     * measured sender and a segment in flight (the Connection, its Flow, the segment queue and
     * the table's slots; SerialGC, compact headers), plus a quarter for margin.
     */
    static final long BYTES_PER_CONNECTION = 512;
    /**
     * Everything else: the idle daemon's live heap is 3.3-3.7 MB (the soak test); the DogStatsD
     * client's queue holds up to 32 768 gauges (~3 MB); the rest is slack for a flush's report.
     */
    static final long RESERVE_BYTES = 12L << 20;

    /** The config with max_flows fitted to {@code heapBytes} ({@link Runtime#maxMemory()}). */
    static GoMetroConfig fit(GoMetroConfig cfg, long heapBytes) throws ConfigException {
        int instances = cfg.instances().size();
        // percentiles: each instance keeps its interval's samples in fixed arrays
        heapBytes -= cfg.percentiles() ? instances * IntervalSamples.BYTES : 0;
        long fits = Math.max(0, (heapBytes - RESERVE_BYTES) / BYTES_PER_CONNECTION / instances);
        if (cfg.maxFlows() <= fits) return cfg;
        long mb = 1 << 20;
        if (cfg.maxFlowsSet()) {
            long needMb = (RESERVE_BYTES + (long) instances * cfg.maxFlows() * BYTES_PER_CONNECTION + mb - 1) / mb;
            long suggestMb = Math.max(64, (needMb + 15) / 16 * 16);
            throw new ConfigException(cfg.file(), ConfigKey.MAX_FLOWS.path(),
                    instances + " instance(s) of " + cfg.maxFlows() + " connections need ~" + needMb
                            + " MB of heap (" + BYTES_PER_CONNECTION + " bytes each, plus "
                            + RESERVE_BYTES / mb + " MB), more than the " + heapBytes / mb + " MB go-metro runs with",
                    fits < 1 ? "give go-metro a larger heap (GO_METRO_JAVA_OPTS=-Xmx" + suggestMb + "m)"
                            : "set max_flows to at most " + fits + ", or give go-metro a larger heap (GO_METRO_JAVA_OPTS=-Xmx"
                            + suggestMb + "m in its environment)");
        }
        if (fits < 1) {
            throw new ConfigException(cfg.file(), "instances", instances + " instance(s) leave no heap for their flow tables "
                    + "(" + heapBytes / mb + " MB)", "run fewer instances, or give go-metro a larger heap (GO_METRO_JAVA_OPTS=-Xmx"
                    + Math.max(64, (RESERVE_BYTES / mb + instances) / 16 * 16 + 16) + "m)");
        }
        return cfg.withMaxFlows((int) fits);
    }
}
