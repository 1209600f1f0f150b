package io.gometro.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Re-records the small known-RTT fixtures under src/test/resources/pcap/lab/ (unit tests use them without root).
 * Off by default, since it rewrites files in the source tree: run with
 * {@code mvn verify -Dit.test=RecordLabCapturesIT -Dgometro.lab.record=true}.
 * Each NAME.pcap has a NAME.txt sidecar with the true RTT, the kernel's median srtt and the addresses.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RecordLabCapturesIT {
    static final double RTT_MS = 30.0;

    @Test
    void record() throws IOException {
        Assumptions.assumeTrue(Boolean.getBoolean("gometro.lab.record"), "set -Dgometro.lab.record=true to re-record");
        Assumptions.assumeTrue(LabTools.canRunLab(), "the lab needs root, ip, ethtool and gcc");
        Path dir = LabTools.projectDir().resolve("src/test/resources/pcap/lab");
        Files.createDirectories(dir);
        // Fixed addresses so the fixtures (and tests reading them) do not change from one recording to the next.
        try (NetLab lab = NetLab.start(NetLab.Config.rtt(RTT_MS).subnet(99, 1))) {
            int port = 7000;
            for (boolean v6 : new boolean[] {false, true}) {
                for (String mode : new String[] {"bulk", "rr"}) {
                    for (Tcpdump.Link link : Tcpdump.Link.values()) {
                        String name = (v6 ? "v6" : "v4") + "-" + link.name().toLowerCase() + "-" + mode;
                        Path tmp = lab.workDir().resolve(name + ".pcap");
                        Tcpdump td = Tcpdump.start(lab, lab.nsA(), NetLab.IF_A, link, 256, tmp, 0, "tcp port " + port);
                        // A few hundred packets: ~140 full segments + ACKs, or 80 request/response rounds.
                        TcpLoad.Spec spec = mode.equals("bulk") ? TcpLoad.Spec.bulk(200_000) : TcpLoad.Spec.rr(80, 100, 1000);
                        TcpLoad.Result r;
                        try {
                            r = TcpLoad.run(lab, v6, port, spec, Duration.ofSeconds(30));
                        } finally {
                            td.stop();
                        }
                        Files.copy(tmp, dir.resolve(name + ".pcap"), StandardCopyOption.REPLACE_EXISTING);
                        String sidecar = "# recorded by RecordLabCapturesIT through the lab's delay bridge\n"
                                + "true_rtt_ms=" + RTT_MS + "\n"
                                + "kernel_median_srtt_us=" + r.client().medianRttUs() + "\n"
                                + "kernel_srtt_samples=" + r.client().samples() + "\n"
                                + "kernel_min_rtt_us=" + r.client().minRttUs() + "\n"
                                + "local=" + lab.addrA(v6) + "\n"
                                + "peer=" + lab.addrB(v6) + "\n"
                                + "port=" + port + "\n"
                                + "link=" + link + "\n"
                                + "mode=" + mode + "\n"
                                + "load=" + spec + "\n"
                                + "snaplen=256\n";
                        Files.writeString(dir.resolve(name + ".txt"), sidecar);
                        System.out.printf("recorded %s: kernel median srtt %.3f ms%n", name, r.client().medianRttMs());
                        port++;
                    }
                }
            }
        }
    }
}
