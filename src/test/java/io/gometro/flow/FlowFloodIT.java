package io.gometro.flow;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A million-flow flood ({@link FlowFlood}) in a JVM limited to a 48 MB heap: proves the
 * default table (100 000 connections) fits, and checks its bounds, eviction order and the
 * legitimate flows' samples. Runs in {@code mvn verify}; alone:
 * {@code mvn verify -Dit.test=FlowFloodIT -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class FlowFloodIT {
    static final String HEAP = System.getProperty("gometro.flood.heap", "48m");

    @TempDir Path dir;

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void millionFlowsStayWithinTheLimits() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx" + HEAP, "-Xms" + HEAP,
                "-cp", System.getProperty("java.class.path"), FlowFlood.class.getName(),
                dir.resolve("flood.pcap").toString());
        pb.redirectErrorStream(true);
        pb.redirectOutput(dir.resolve("flood.out").toFile());
        Process p = pb.start();
        if (!p.waitFor(9, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("flood run did not finish in 9 minutes");
        }
        String out = Files.readString(dir.resolve("flood.out"), StandardCharsets.UTF_8);
        System.out.println("FlowFloodIT (-Xmx" + HEAP + "):\n" + out);
        assertEquals(0, p.exitValue(), "the flood run failed (OutOfMemoryError or a broken invariant):\n" + out);

        Map<String, String> f = new HashMap<>();
        for (String line : out.split("\n")) {
            for (String kv : line.trim().split(" ")) {
                int eq = kv.indexOf('=');
                if (eq > 0) f.put(kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        int maxFlows = TrackerConfig.defaults().maxFlows();
        long created = Long.parseLong(f.get("connections_created"));
        assertEquals(maxFlows, Integer.parseInt(f.get("max_active")), "the table fills to max_flows and no further");
        // No flow idles out within the 50 s flood, so every connection beyond max_flows is an eviction.
        assertEquals(created - maxFlows, Long.parseLong(f.get("evictions")));
        assertEquals(0, Long.parseLong(f.get("eviction_order_inversions")), "evictions take the oldest idle first");
        long pending = Long.parseLong(f.get("max_pending_seen"));
        assertEquals(TrackerConfig.defaults().maxPending(), pending, "the unacknowledged sender reaches max_pending, not beyond");
        long requests = Long.parseLong(f.get("requests_per_legit_flow"));
        assertTrue(requests > 400, "requests " + requests);
        assertEquals(FlowFlood.LEGIT * requests, Long.parseLong(f.get("legit_samples")), "every request sampled");
        assertEquals(FlowFlood.RTT, Long.parseLong(f.get("legit_min_ns")));
        assertEquals(FlowFlood.RTT, Long.parseLong(f.get("legit_max_ns")));
    }
}
