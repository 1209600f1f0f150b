package io.gometro.app;

import static io.gometro.app.DaemonHarness.Gauge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gometro.lab.LabExtension;
import io.gometro.lab.NetLab;
import io.gometro.lab.TcpLoad;
import io.gometro.report.StatsdReporter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A capture on {@code any} on a host with a bridge sees every frame twice: once on the bridge
 * port (veth-a) and once on the bridge (br-a), which holds the addresses. Before copies were
 * recognised every sample was lost (the copy looked like a retransmission, and Karn threw the
 * sample away). The real daemon captures live on {@code any} in the lab's namespace a while
 * traffic crosses the 30 ms delay bridge: it reports the true RTT and counts the copies.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DaemonAnyCaptureIT {
    static final double RTT_MS = 30.0;
    static final int FLUSH_S = 2;
    @RegisterExtension
    static final LabExtension LAB = new LabExtension(NetLab.Config.rtt(RTT_MS));
    static NetLab lab;

    @BeforeAll
    static void startLab() {
        // Move a's addresses from veth-a to a bridge over it.
        String a = lab.nsA();
        for (List<String> c : List.of(
                List.of("ip", "-n", a, "link", "add", "br-a", "type", "bridge"),
                List.of("ip", "-n", a, "addr", "flush", "dev", NetLab.IF_A),
                List.of("ip", "-n", a, "link", "set", NetLab.IF_A, "master", "br-a"),
                List.of("ip", "-n", a, "link", "set", "br-a", "up"),
                List.of("ip", "-n", a, "addr", "add", lab.ipv4A() + "/24", "dev", "br-a"),
                List.of("ip", "-n", a, "addr", "add", lab.ipv6A() + "/64", "dev", "br-a", "nodad"))) {
            var r = io.gometro.lab.Cmd.run(Duration.ofSeconds(10), c);
            assertEquals(0, r.exitCode(), String.join(" ", c) + ": " + r.stderr());
        }
    }

    @Test
    void everyFrameTwiceOnABridgedHostStillGivesTheTrueRtt() {
        int statsdPort = 18131;
        Path sinkOut = lab.workDir().resolve("any-sink.out");
        Path daemonOut = lab.workDir().resolve("any-daemon.out");
        Path cfg = DaemonHarness.write(lab.workDir().resolve("any.yaml"),
                DaemonHarness.liveConfig("any", lab.addrB(false), FLUSH_S, "127.0.0.1", statsdPort, false));
        DaemonHarness.startSink(lab, lab.nsA(), statsdPort, false, sinkOut);
        Process daemon = lab.spawn(lab.nsA(), daemonOut, DaemonHarness.daemonCommand("-cfg=" + cfg));
        DaemonHarness.await(daemon, daemonOut, "capturing on any", Duration.ofSeconds(15), "go-metro");

        TcpLoad.Result rr = TcpLoad.run(lab, false, 7201, TcpLoad.Spec.rr(60, 100, 1000), Duration.ofSeconds(30));
        TcpLoad.Result bulk = TcpLoad.run(lab, false, 7202, TcpLoad.Spec.bulk(4_000_000).sockBuf(io.gometro.lab.LabTools.BULK_SOCKBUF),
                Duration.ofSeconds(30));
        DaemonHarness.sleep(1000L * FLUSH_S + 500);
        long t0 = System.nanoTime();
        DaemonHarness.signal(daemon, "TERM");
        DaemonHarness.awaitExit(daemon, t0, Duration.ofSeconds(5), daemonOut);
        assertEquals(0, daemon.exitValue(), DaemonHarness.read(daemonOut));
        DaemonHarness.sleep(300);

        String log = DaemonHarness.read(daemonOut);
        List<Gauge> avg = DaemonHarness.named(DaemonHarness.gauges(DaemonHarness.read(sinkOut)), StatsdReporter.RTT_AVG);
        assertTrue(!avg.isEmpty(), "no rtt.avg: the copies killed every sample\n" + log);
        // against the path, as the other live tests: the bridge's delay, or the kernel's srtt when the VM made it queue
        double kernel = Math.max(rr.client().highRttMs(), bulk.client().highRttMs());
        for (Gauge g : avg) io.gometro.lab.LabTools.assertPathRtt(RTT_MS, kernel, g.value(), "rtt.avg " + g + "\n" + log);
        long samples = 0, copies = 0;
        Matcher m = Pattern.compile("(\\d+) samples; .*?(?:, (\\d+) frames seen twice ignored)?(?:, \\d+ samples discarded)?$",
                Pattern.MULTILINE).matcher(log);
        while (m.find()) {
            samples += Long.parseLong(m.group(1));
            if (m.group(2) != null) copies = Math.max(copies, Long.parseLong(m.group(2)));
        }
        // 60 requests and a 4 MB upload: one sample per request at least, and many for the upload.
        assertTrue(samples >= 100, samples + " samples:\n" + log);
        assertTrue(copies >= samples, "each frame was seen twice: " + copies + " copies for " + samples + " samples\n" + log);
        System.out.printf("DaemonAnyCaptureIT: capture on any with a bridge: %d samples, %d copies ignored, rtt.avg %s%n",
                samples, copies, avg.stream().map(g -> String.valueOf(g.value())).toList());
    }
}
