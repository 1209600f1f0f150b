package io.gometro.flow;

import io.gometro.testutil.PcapFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tracker on captures recorded through the lab's delay bridge (true RTT 30 ms;
 * each sidecar holds the kernel's own median srtt for that connection).
 */
class LabCaptureRttTest {
    private static final Path DIR = Path.of("src/test/resources/pcap/lab");

    @ParameterizedTest
    @ValueSource(strings = {"v4-ethernet-bulk", "v4-ethernet-rr", "v4-sll-bulk", "v4-sll-rr", "v4-sll2-bulk",
            "v4-sll2-rr", "v6-ethernet-bulk", "v6-ethernet-rr", "v6-sll-bulk", "v6-sll-rr", "v6-sll2-bulk", "v6-sll2-rr"})
    void measuresTheBridgeDelay(String name) throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(DIR.resolve(name + ".txt"))) {
            p.load(r);
        }
        double trueMs = Double.parseDouble(p.getProperty("true_rtt_ms"));
        double kernelMs = Long.parseLong(p.getProperty("kernel_median_srtt_us")) / 1000.0;

        List<Tracking.Snap> flows = Tracking.track(PcapFile.read(DIR.resolve(name + ".pcap")),
                Tracking.local(p.getProperty("local")));
        assertEquals(1, flows.size(), name);
        Tracking.Snap f = flows.get(0);
        assertTrue(f.samples() >= 50, name + ": samples " + f.samples());
        assertEquals(trueMs, f.srttNanos() / 1e6, trueMs * 0.05, name + ": avg");
        assertEquals(kernelMs, f.p50Nanos() / 1e6, kernelMs * 0.05, name + ": p50");
        // The bridge adds the delay; nothing can arrive sooner (50 us of capture-clock slack).
        assertTrue(f.minRttNanos() / 1e6 >= trueMs - 0.05, name + ": min " + f.minRttNanos() / 1e6);
    }
}
