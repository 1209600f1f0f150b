package io.gometro.oracle;

import io.gometro.flow.LocalPolicy;
import io.gometro.net.Addresses;
import io.gometro.testutil.PcapFile;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The benchmark's result check (ReferenceReport) accepts exactly the reference figures and nothing else. */
class ReferenceReportTest {
    private static final String LOCAL = "10.99.1.1";

    private static Map<String, ReferenceReport.Figures> lab() throws IOException {
        return ReferenceReport.figures(PcapFile.read(Path.of("src/test/resources/pcap/lab/v4-ethernet-rr.pcap")),
                LocalPolicy.of(Addresses.parse(LOCAL)));
    }

    /** go-metro's -json line shape for one copy, with the client on {@code port}. */
    private static String line(String pair, ReferenceReport.Figures f, int port, double avgDelta) {
        String[] h = pair.split(" ");
        return String.format(Locale.ROOT, "{\"src\":\"%s:%d\",\"dst\":\"%s:7\",\"samples\":%d,\"rtt_ms\":%.6f,\"avg_ms\":%.6f,"
                        + "\"jitter_ms\":%.6f,\"min_ms\":%.6f,\"max_ms\":%.6f,\"p50_ms\":1.0,\"p95_ms\":2.0}",
                h[0], port, h[1], f.samples(), f.last(), f.avg() + avgDelta, f.jitter(), f.min(), f.max());
    }

    @Test
    void acceptsTheReferenceFiguresAndCatchesAnyDifference() throws IOException {
        Map<String, ReferenceReport.Figures> want = lab();
        assertEquals(1, want.size(), want.toString());
        Map.Entry<String, ReferenceReport.Figures> flow = want.entrySet().iterator().next();
        // 80 requests, each acknowledged by its response, and the SYN and FIN.
        assertTrue(flow.getValue().samples() >= 82, "the lab capture's request/response flow: " + flow);
        List<String> good = new ArrayList<>();
        for (int port = 100; port < 103; port++) good.add(line(flow.getKey(), flow.getValue(), port, 0));
        assertNull(ReferenceReport.check(want, good, 3, 100));

        List<String> off = new ArrayList<>(good);
        off.set(1, line(flow.getKey(), flow.getValue(), 101, 2e-6));
        assertNotNull(ReferenceReport.check(want, off, 3, 100), "avg 2 ns off");
        assertNotNull(ReferenceReport.check(want, good.subList(0, 2), 3, 100), "a copy missing");
        List<String> samePort = List.of(good.get(0), good.get(0), good.get(2));
        assertNotNull(ReferenceReport.check(want, samePort, 3, 100), "one port twice, one never");
        assertNotNull(ReferenceReport.check(Map.of(), List.of(), 0, 100), "nothing to compare is an error");
    }
}
