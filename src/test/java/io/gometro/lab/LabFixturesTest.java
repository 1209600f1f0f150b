package io.gometro.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** No root needed: the recorded lab fixtures are what their names and sidecars say, and the -json parser works. */
class LabFixturesTest {
    static final Path DIR = LabTools.projectDir().resolve("src/test/resources/pcap/lab");

    @Test
    void everyKindIsRecordedWithItsLinkTypeAndSidecar() throws IOException {
        long total = 0;
        for (String fam : List.of("v4", "v6"))
            for (String link : List.of("ethernet", "sll", "sll2"))
                for (String mode : List.of("bulk", "rr")) {
                    String name = fam + "-" + link + "-" + mode;
                    Path pcap = DIR.resolve(name + ".pcap");
                    byte[] b = Files.readAllBytes(pcap);
                    total += b.length;
                    ByteBuffer h = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
                    assertEquals(0xa1b2c3d4, h.getInt(0), name + ": not a little-endian µs pcap");
                    int expected = switch (link) { case "ethernet" -> 1; case "sll" -> 113; default -> 276; };
                    assertEquals(expected, h.getInt(20), name + ": link type");
                    assertTrue(b.length > 20_000, name + ": a few hundred packets expected, file has " + b.length + " bytes");
                    Properties p = new Properties();
                    try (var r = Files.newBufferedReader(DIR.resolve(name + ".txt"))) {
                        p.load(r);
                    }
                    assertEquals("30.0", p.getProperty("true_rtt_ms"), name);
                    long srtt = Long.parseLong(p.getProperty("kernel_median_srtt_us"));
                    assertTrue(srtt >= 30_000 && srtt < 33_000, name + ": kernel srtt " + srtt);
                    assertEquals(fam.equals("v6") ? "fd00:99:1::1" : "10.99.1.1", p.getProperty("local"), name);
                }
        assertTrue(total < 2_000_000, "lab fixtures grew to " + total + " bytes");
    }

    @Test
    void parsesJsonFlowLines() {
        String out = "some log line\n"
                + "{\"src\":\"10.99.1.1:40000\",\"dst\":\"10.99.1.2:7000\",\"samples\":83,\"rtt_ms\":30.2,\"avg_ms\":30.25,"
                + "\"jitter_ms\":0.1,\"min_ms\":30.1,\"max_ms\":31.0,\"p50_ms\":30.26,\"p95_ms\":30.9}\n"
                + "{\"src\": \"[fd00:99:1::1]:40001\", \"dst\": \"fd00:99:1::2:7001\", \"samples\": 5, \"avg_ms\": 3e1}\n";
        List<GoMetroCommand.Flow> flows = GoMetroCommand.parseJsonLines(out);
        assertEquals(2, flows.size());
        assertEquals(83, flows.get(0).samples());
        assertEquals(30.26, flows.get(0).num("p50_ms"));
        assertEquals("10.99.1.2", GoMetroCommand.Flow.host(flows.get(0).dst()));
        assertEquals(7000, GoMetroCommand.Flow.port(flows.get(0).dst()));
        assertEquals("fd00:99:1::1", GoMetroCommand.Flow.host(flows.get(1).src()));
        assertEquals("fd00:99:1::2", GoMetroCommand.Flow.host(flows.get(1).dst()));
        assertEquals(7001, GoMetroCommand.Flow.port(flows.get(1).dst()));
        assertEquals(30.0, flows.get(1).num("avg_ms"));
    }
}
