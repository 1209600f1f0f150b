package io.gometro.lab;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Holds go-metro to the truth: real TCP through the delay bridge with a known RTT, captured by tcpdump in ns a
 * (Ethernet on the veth, and cooked SLL / SLL2 on "any"), analysed by `go-metro -pcap -local -json`, compared
 * with the configured RTT and with the kernel's own median srtt for the same connection.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class KnownRttCapturesIT {
    static final double RTT_MS = 30.0;
    /** Capture clock vs bridge clock: both monotonic-derived on one host, so a fraction of a ms is generous. */
    static final double CLOCK_TOLERANCE_MS = 0.5;
    static final AtomicInteger PORT = new AtomicInteger(6000);
    @RegisterExtension
    static final LabExtension LAB = new LabExtension(NetLab.Config.rtt(RTT_MS));
    static NetLab lab;

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (boolean v6 : new boolean[] {false, true})
            for (String mode : List.of("bulk", "rr"))
                for (Tcpdump.Link link : Tcpdump.Link.values()) b.add(Arguments.of(v6 ? "IPv6" : "IPv4", mode, link));
        return b.build();
    }

    static TcpLoad.Spec spec(String mode) {
        return mode.equals("bulk") ? TcpLoad.Spec.bulk(8_000_000).sockBuf(LabTools.BULK_SOCKBUF) : TcpLoad.Spec.rr(70, 100, 1000);
    }

    /** Captures one run in ns a; returns the kernel's view and the analyzer's flow a -> b. */
    record Run(TcpLoad.Result kernel, GoMetroCommand.Flow flow, Path pcap) {}

    static Run captureAndAnalyze(NetLab lab, boolean v6, String mode, Tcpdump.Link link) {
        int port = PORT.getAndIncrement();
        Path pcap = lab.workDir().resolve((v6 ? "v6" : "v4") + "-" + mode + "-" + link + "-" + port + ".pcap");
        Tcpdump td = Tcpdump.start(lab, lab.nsA(), NetLab.IF_A, link, 256, pcap, 0, "tcp port " + port);
        TcpLoad.Result kernel;
        try {
            kernel = TcpLoad.run(lab, v6, port, spec(mode), Duration.ofSeconds(30));
        } finally {
            td.stop();
        }
        // The capture itself must hold the truth before go-metro is judged by it: tshark's ACK RTTs for
        // a's segments agree with the kernel.
        double tshark = tsharkMedianAckRttMs(pcap, lab.addrB(v6), v6);
        // On a jittered path the kernel's smoothed srtt drifts from the median of single ACK RTTs: there the
        // 10% that the jitter test also gives go-metro (one run: tshark 40.1 ms, kernel 42.2 ms at 40 +- 10 ms).
        assertWithin(kernel.client().medianRttMs(), tshark, lab.jitterMs() > 0 ? 0.10 : 0.05,
                "tshark median ack_rtt in " + pcap + " vs kernel srtt");
        // The lab's temp dir goes away on close: keep this capture where the analyzer's authors can replay it.
        Path kept = keep(pcap, kernel);
        List<GoMetroCommand.Flow> flows = GoMetroCommand.analyze(kept, lab.addrA(v6));
        GoMetroCommand.Flow flow = flows.stream()
                .filter(f -> f.src() != null && f.dst() != null)
                .filter(f -> GoMetroCommand.Flow.host(f.src()).equals(lab.addrA(v6))
                        && GoMetroCommand.Flow.host(f.dst()).equals(lab.addrB(v6))
                        && GoMetroCommand.Flow.port(f.dst()) == port)
                .findFirst()
                .orElseGet(() -> fail("go-metro reported no flow " + lab.addrA(v6) + " -> " + lab.addrB(v6) + ":" + port
                        + " in " + kept + "; it reported: " + flows));
        System.out.printf("%s %-4s %-8s true %.1f ms | kernel median srtt %.3f ms | go-metro samples %d avg %.3f "
                        + "p50 %.3f min %.3f max %.3f jitter %.3f%n", v6 ? "IPv6" : "IPv4", mode, link, lab.rttMs(),
                kernel.client().medianRttMs(), flow.samples(), flow.num("avg_ms"), flow.num("p50_ms"),
                flow.num("min_ms"), flow.num("max_ms"), flow.num("jitter_ms"));
        return new Run(kernel, flow, kept);
    }

    /** Copies the capture to target/lab-captures/ with a sidecar of the kernel's figures. */
    static Path keep(Path pcap, TcpLoad.Result kernel) {
        try {
            Path dir = java.nio.file.Files.createDirectories(LabTools.targetDir().resolve("lab-captures"));
            Path dst = dir.resolve(pcap.getFileName());
            java.nio.file.Files.copy(pcap, dst, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            java.nio.file.Files.writeString(dir.resolve(pcap.getFileName() + ".txt"),
                    "kernel_median_srtt_us=" + kernel.client().medianRttUs() + "\nclient=" + kernel.client() + "\n");
            return dst;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot keep " + pcap + " under target/lab-captures: " + e.getMessage(), e);
        }
    }

    /** Median of tshark's tcp.analysis.ack_rtt on ACKs sent by the peer, in ms. */
    static double tsharkMedianAckRttMs(Path pcap, String peer, boolean v6) {
        Cmd.Result r = Cmd.run(Duration.ofSeconds(60), "tshark", "-n", "-r", pcap.toString(), "-Y",
                "tcp.analysis.ack_rtt and " + (v6 ? "ipv6.src==" : "ip.src==") + peer, "-T", "fields", "-e",
                "tcp.analysis.ack_rtt").requireSuccess();
        double[] v = r.stdout().lines().filter(l -> !l.isBlank()).mapToDouble(Double::parseDouble).sorted().toArray();
        assertTrue(v.length > 0, "tshark found no ACK RTT in " + pcap);
        System.out.printf("  tshark: %d ack_rtt, median %.3f ms%n", v.length, v[v.length / 2] * 1000);
        return v[v.length / 2] * 1000;
    }

    static void assertWithin(double expected, double actual, double fraction, String what) {
        assertTrue(Math.abs(actual - expected) <= expected * fraction,
                what + ": expected " + expected + " ms ± " + (fraction * 100) + "%, got " + actual + " ms");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("cases")
    void analyzerAgreesWithKnownRtt(String family, String mode, Tcpdump.Link link) {
        Run run = captureAndAnalyze(lab, family.equals("IPv6"), mode, link);
        GoMetroCommand.Flow f = run.flow();
        assertTrue(f.samples() > 0, "flow carries no samples: " + f);
        LabTools.assertPathRtt(RTT_MS, run.kernel().client().highRttMs(), f.num("avg_ms"), "avg_ms (an SRTT, as the kernel's)");
        assertWithin(run.kernel().client().medianRttMs(), f.num("p50_ms"), 0.05, "p50_ms vs kernel median srtt");
        assertTrue(f.num("min_ms") >= RTT_MS - CLOCK_TOLERANCE_MS,
                "min_ms " + f.num("min_ms") + " is below the network's own delay " + RTT_MS + " ms");
    }

    /** RTT 40 ms: each one-way 20 ms ± 5 ms uniform, frames may overtake each other. */
    @Test
    void jitterWithReorderingStaysNearKernelSrtt() {
        try (NetLab jl = NetLab.start(NetLab.Config.rtt(40).jitter(5, true))) {
            for (String mode : List.of("rr", "bulk")) {
                Run run = captureAndAnalyze(jl, false, mode, Tcpdump.Link.ETHERNET);
                GoMetroCommand.Flow f = run.flow();
                double kernel = run.kernel().client().medianRttMs();
                assertTrue(f.samples() > 0, mode + ": flow carries no samples: " + f);
                assertWithin(kernel, f.num("avg_ms"), 0.10, mode + ": avg_ms vs kernel median srtt");
                assertWithin(kernel, f.num("p50_ms"), 0.10, mode + ": p50_ms vs kernel median srtt");
                // Each one-way delay is at least 20 - 5 ms, so no RTT can be below 30 ms.
                assertTrue(f.num("min_ms") >= 30 - CLOCK_TOLERANCE_MS,
                        mode + ": min_ms " + f.num("min_ms") + " is below the smallest possible RTT 30 ms");
            }
        }
    }
}
