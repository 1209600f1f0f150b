package io.gometro.app;

import static io.gometro.app.DaemonHarness.Gauge;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gometro.lab.LabExtension;
import io.gometro.lab.LabTools;
import io.gometro.lab.NetLab;
import io.gometro.lab.TcpLoad;
import io.gometro.report.StatsdReporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Issue 2 item 9 and issue 5 item 9: a stop signal ends the live daemon within 2 s, exit 0, after a last flush
 * whose gauges arrive, leaving only whole log lines. flush_interval is an hour, so any gauge received at all
 * comes from the stop's last flush.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DaemonLifecycleIT {
    static final double RTT_MS = 20.0;
    static final long STOP_LIMIT_MS = 2_000;
    static final AtomicInteger PORTS = new AtomicInteger(7200);
    @RegisterExtension
    static final LabExtension LAB = new LabExtension(NetLab.Config.rtt(RTT_MS));
    static NetLab lab;

    /** A daemon with its sink and log, capturing on a's veth. */
    record Run(String name, Process daemon, Path out, Path log, Path sinkOut) {}

    static Run start(String name) {
        int statsdPort = PORTS.getAndIncrement();
        Path sinkOut = lab.workDir().resolve("lc-sink-" + name + ".out");
        Path out = lab.workDir().resolve("lc-daemon-" + name + ".out");
        Path log = lab.workDir().resolve("lc-" + name + ".log");
        Path cfg = DaemonHarness.write(lab.workDir().resolve("lc-" + name + ".yaml"),
                DaemonHarness.liveConfig(NetLab.IF_A, lab.ipv4B(), 3600, "127.0.0.1", statsdPort, true));
        DaemonHarness.startSink(lab, lab.nsA(), statsdPort, false, sinkOut);
        Process d = lab.spawn(lab.nsA(), out, DaemonHarness.daemonCommand("-cfg=" + cfg, "-log=" + log));
        DaemonHarness.await(d, log, "capturing on " + NetLab.IF_A, Duration.ofSeconds(15), "go-metro");
        return new Run(name, d, out, log, sinkOut);
    }

    /** Signals, then checks exit 0 within the limit, the last flush's gauges, and the log. Returns the packets processed. */
    static double stopAndCheck(Run r, String sig, double kernelMs) {
        assertTrue(DaemonHarness.gauges(DaemonHarness.read(r.sinkOut())).isEmpty(),
                "gauges before the stop, though flush_interval is an hour: " + DaemonHarness.read(r.sinkOut()));
        long t0 = System.nanoTime();
        DaemonHarness.signal(r.daemon(), sig);
        long ms = DaemonHarness.awaitExit(r.daemon(), t0, Duration.ofSeconds(10), r.log()) / 1_000_000;
        String log = DaemonHarness.read(r.log());
        assertEquals(0, r.daemon().exitValue(), "exit code after SIG" + sig + ":\n" + DaemonHarness.tail(log)
                + DaemonHarness.read(r.out()));
        assertTrue(ms <= STOP_LIMIT_MS, "SIG" + sig + " took " + ms + " ms to stop go-metro (limit " + STOP_LIMIT_MS + ")");
        DaemonHarness.assertWholeLogLines(log, "log after SIG" + sig);
        assertTrue(log.contains("received SIG" + sig), "the log does not say SIG" + sig + " was received:\n" + log);
        assertFalse(DaemonHarness.read(r.out()).contains("Exception"), "stdout/stderr: " + DaemonHarness.read(r.out()));

        String sink = DaemonHarness.awaitText(r.sinkOut(), t -> t.contains(StatsdReporter.PACKETS),
                Duration.ofSeconds(2), "the last flush's gauges");
        List<Gauge> g = DaemonHarness.gauges(sink);
        List<Gauge> avg = DaemonHarness.named(g, StatsdReporter.RTT_AVG);
        assertEquals(1, avg.size(), "one last flush, one pair: " + g);
        io.gometro.lab.LabTools.assertPathRtt(RTT_MS, kernelMs, avg.get(0).value(), "rtt.avg of the last flush");
        assertEquals(lab.ipv4B(), avg.get(0).tag("dst"));
        assertTrue(DaemonHarness.named(g, StatsdReporter.PACKETS).get(0).value() > 0, "packets processed: " + g);
        double processed = DaemonHarness.named(g, StatsdReporter.PACKETS).get(0).value();
        System.out.printf("%s: SIG%s stopped it in %d ms, exit 0, last flush avg %.3f ms (true %.1f), %.0f packets%n",
                r.name(), sig, ms, avg.get(0).value(), RTT_MS, processed);
        return processed;
    }

    @ParameterizedTest(name = "SIG{0}")
    @ValueSource(strings = {"TERM", "INT", "HUP"})
    void signalStopsAfterLastFlush(String sig) {
        Run r = start(sig);
        TcpLoad.Result k = TcpLoad.run(lab, false, PORTS.getAndIncrement(), TcpLoad.Spec.rr(20, 100, 1000), Duration.ofSeconds(20));
        stopAndCheck(r, sig, k.client().highRttMs());
    }

    /**
     * SIGQUIT cannot reach a Java handler in HotSpot (it is the thread dump signal), so only the packaged launcher
     * stops on it: lib/sigblock blocks the four stop signals, -Xrs keeps HotSpot off them, and the daemon takes them
     * with sigtimedwait (StopSignals). The java -cp fallback keeps QUIT as the JVM's thread dump.
     */
    @Test
    void sigquitStopsAfterLastFlush() {
        Assumptions.assumeTrue(Files.isExecutable(LabTools.targetDir().resolve("go-metro/bin/go-metro")),
                "SIGQUIT stops go-metro only under the packaged launcher (mvn package)");
        Run r = start("QUIT");
        TcpLoad.Result k = TcpLoad.run(lab, false, PORTS.getAndIncrement(), TcpLoad.Spec.rr(20, 100, 1000), Duration.ofSeconds(20));
        stopAndCheck(r, "QUIT", k.client().highRttMs());
    }

    /** Issue 5 item 9: SIGTERM while bulk traffic floods the capture. */
    @Test
    void sigtermDuringBulkFlood() {
        Run r = start("flood");
        int port = PORTS.getAndIncrement();
        Process[] load = DaemonHarness.startLoad(lab, false, port, List.of("-m", "bulk", "-n", "4000000000"), 30);
        // Wait until the capture has seen a good part of the flood, which the log cannot tell (no flush yet):
        // the client's socket is busy by then, so give it a fixed head start.
        DaemonHarness.sleep(3_000);
        assertTrue(load[1].isAlive(), "the bulk client ended before the signal; the flood is too short");
        // The flood's own srtt is not reported (the test stops the load), and an unbounded flood through
        // the user-space bridge on two cores queues without a fixed bound: only the lower bound is
        // physical. The ceiling only rules out garbage (a sample across seconds would be far above it).
        double processed = stopAndCheck(r, "TERM", 5 * RTT_MS);
        assertTrue(processed > 5_000, "the capture saw only " + processed + " packets of the flood");
        for (Process p : load) p.destroy();
    }
}
