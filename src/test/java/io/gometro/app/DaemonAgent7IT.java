package io.gometro.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gometro.app.DaemonHarness.Gauge;
import io.gometro.lab.Cmd;
import io.gometro.lab.LabExtension;
import io.gometro.lab.NetLab;
import io.gometro.report.StatsdReporter;
import io.gometro.testutil.UnixgramSink;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 10 items 4 to 7 against the daemon outside packaging, on real sockets: DogStatsD chosen by
 * DD_DOGSTATSD_URL (a Unix datagram socket) or DD_AGENT_HOST/DD_DOGSTATSD_PORT, an explicit config
 * winning over both; the go_metro.can_capture service check; {@code go-metro -status} and its exit
 * codes while the daemon runs and after it stops; the opt-in percentiles; nothing unpacked into the
 * temporary directory.
 * The daemon captures in the lab, where the bridge gives the path a known 20 ms RTT.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DaemonAgent7IT {
    static final double RTT_MS = 20.0;
    static final AtomicInteger PORTS = new AtomicInteger(7600);
    /** A row of -status's pair table: src, dst, rtt, avg, jitter (ms). */
    static final Pattern PAIR_ROW = Pattern.compile("(?m)^  (\\S+) +(\\S+) +([0-9.]+) +([0-9.]+) +([0-9.]+)$");
    @RegisterExtension
    static final LabExtension LAB = new LabExtension(NetLab.Config.rtt(RTT_MS));
    static NetLab lab;

    String config(String name, String init, String instances) {
        return DaemonHarness.write(lab.workDir().resolve(name + ".yaml"), """
                init_config:
                  flush_interval: 1
                  log_level: info
                  status_file: %s
                %sinstances:
                %s""".formatted(lab.workDir().resolve(name + ".status.json"), init, instances)).toString();
    }

    String instance(String iface) {
        return "  - interface: " + iface + "\n    tags: [env:a7]\n    ips: [\"" + lab.ipv4B() + "\"]\n";
    }

    Process daemon(String name, String cfg, String... env) {
        List<String> c = new ArrayList<>(List.of("env"));
        c.addAll(List.of(env));
        c.addAll(DaemonHarness.daemonCommand("-cfg=" + cfg, "-log=" + lab.workDir().resolve(name + ".log")));
        Process d = lab.spawn(lab.nsA(), lab.workDir().resolve(name + ".out"), c);
        DaemonHarness.await(d, lab.workDir().resolve(name + ".log"), "capturing on " + NetLab.IF_A, Duration.ofSeconds(20), name);
        return d;
    }

    void load(int seconds) {
        DaemonHarness.startLoad(lab, false, PORTS.getAndIncrement(),
                List.of("-m", "rr", "-s", "200", "-r", "200", "-k", "1000000", "-t", "5"), seconds);
    }

    static Cmd.Result status(String cfg) {
        return Cmd.run(Duration.ofSeconds(30), DaemonHarness.daemonCommand("-status", "-cfg=" + cfg));
    }

    void stop(Process d, String name) {
        long t0 = System.nanoTime();
        DaemonHarness.signal(d, "TERM");
        DaemonHarness.awaitExit(d, t0, Duration.ofSeconds(10), lab.workDir().resolve(name + ".log"));
        assertEquals(0, d.exitValue(), DaemonHarness.tail(DaemonHarness.read(lab.workDir().resolve(name + ".log"))));
    }

    @Test
    void aUnixSocketGetsTheGaugesAndTheServiceCheckAndStatusReportsTheDaemon() throws Exception {
        Path tmp = Files.createDirectories(lab.workDir().resolve("a7-tmp"));
        String cfg = config("a7-uds", "", instance(NetLab.IF_A));
        try (UnixgramSink uds = new UnixgramSink(lab.workDir().resolve("a7-dsd.socket"))) {
            // TMPDIR and java.io.tmpdir point at an empty directory: the client's native stub must come from lib/native.
            Process d = daemon("a7-uds", cfg, "DD_DOGSTATSD_URL=unix://" + uds.path(), "DD_AGENT_HOST=192.0.2.99",
                    "TMPDIR=" + tmp, "GO_METRO_JAVA_OPTS=-Djava.io.tmpdir=" + tmp);
            load(20);
            List<String> got = uds.until(l -> l.startsWith(StatsdReporter.RTT_AVG + ":") && l.contains("dst:" + lab.ipv4B()), 30);
            Gauge avg = Gauge.parse(got.get(got.size() - 1));
            assertTrue(avg.value() >= 0.99 * RTT_MS && avg.value() <= 1.25 * RTT_MS, "rtt.avg over the socket: " + avg);
            assertTrue(got.contains("_sc|go_metro.can_capture|0|#env:a7,iface:" + NetLab.IF_A), "the service check: " + got);

            Cmd.Result s = status(cfg);
            for (long deadline = System.nanoTime() + 10_000_000_000L; !PAIR_ROW.matcher(s.stdout()).find()
                    && System.nanoTime() < deadline; s = status(cfg)) {
                DaemonHarness.sleep(500);
            }
            System.out.println("DaemonAgent7IT: go-metro -status:\n" + s.stdout());
            assertEquals(0, s.exitCode(), s.stdout() + s.stderr());
            assertTrue(s.stdout().contains("runs: 1 of 1 instances capturing"), s.stdout());
            assertTrue(s.stdout().contains("DogStatsD unix://" + uds.path() + " (DD_DOGSTATSD_URL)"), s.stdout());
            Matcher row = PAIR_ROW.matcher(s.stdout());
            assertTrue(row.find(), s.stdout());
            assertEquals(lab.ipv4A(), row.group(1));
            assertEquals(lab.ipv4B(), row.group(2));
            double statusAvg = Double.parseDouble(row.group(4));
            assertTrue(statusAvg >= 0.99 * RTT_MS && statusAvg <= 1.25 * RTT_MS, "avg in -status: " + row.group());

            stop(d, "a7-uds");
            Cmd.Result after = status(cfg);
            assertEquals(3, after.exitCode(), after.stdout());
            assertTrue(after.stdout().startsWith("go-metro is not running: pid " + d.pid() + " stopped at "), after.stdout());
            assertTrue(after.stdout().contains("stopped since"), after.stdout());
        }
        try (var l = Files.list(tmp)) {
            assertEquals(List.of(), l.toList(), "nothing is unpacked into the temporary directory");
        }
    }

    @Test
    void theAgentsHostAndPortVariablesAndAnExplicitConfigWinning() throws Exception {
        int envPort = PORTS.getAndIncrement(), cfgPort = PORTS.getAndIncrement();
        Path envOut = lab.workDir().resolve("a7-env-sink.out"), cfgOut = lab.workDir().resolve("a7-cfg-sink.out");
        DaemonHarness.startSink(lab, lab.nsA(), envPort, false, envOut);
        DaemonHarness.startSink(lab, lab.nsA(), cfgPort, false, cfgOut);
        load(30);

        // with percentiles on (item 7): DogStatsD's histogram names per pair, from the interval's samples
        Process d = daemon("a7-env", config("a7-env", "  percentiles: true\n", instance(NetLab.IF_A)),
                "DD_AGENT_HOST=127.0.0.1", "DD_DOGSTATSD_PORT=" + envPort);
        String text = DaemonHarness.awaitText(envOut, t -> t.contains(StatsdReporter.RTT_COUNT + ":"), Duration.ofSeconds(15),
                "rtt.count at DD_AGENT_HOST:DD_DOGSTATSD_PORT");
        stop(d, "a7-env");
        List<Gauge> all = DaemonHarness.gauges(text);
        Gauge median = DaemonHarness.named(all, StatsdReporter.RTT_MEDIAN).getFirst();
        assertEquals(lab.ipv4B(), median.tag("dst"));
        assertTrue(median.value() >= 0.99 * RTT_MS && median.value() <= 1.25 * RTT_MS, "median " + median);
        Gauge p99 = DaemonHarness.named(all, StatsdReporter.RTT_P99).getFirst();
        Gauge max = DaemonHarness.named(all, StatsdReporter.RTT_MAX).getFirst();
        assertTrue(p99.value() >= median.value() && max.value() >= 0.99 * p99.value(), p99 + " " + max);
        assertTrue(DaemonHarness.named(all, StatsdReporter.RTT_COUNT).getFirst().value() >= 1);
        assertEquals(1, DaemonHarness.named(all, StatsdReporter.RTT_P95).stream().map(Gauge::tags).distinct().count());

        try (UnixgramSink uds = new UnixgramSink(lab.workDir().resolve("a7-ignored.socket"))) {
            Process e = daemon("a7-cfg", config("a7-cfg", "  statsd_ip: 127.0.0.1\n  statsd_port: " + cfgPort + "\n",
                    instance(NetLab.IF_A)), "DD_DOGSTATSD_URL=unix://" + uds.path(), "DD_AGENT_HOST=192.0.2.99");
            DaemonHarness.awaitText(cfgOut, t -> t.contains(StatsdReporter.RTT_AVG + ":"), Duration.ofSeconds(15),
                    "rtt.avg at the config's statsd_ip:statsd_port");
            stop(e, "a7-cfg");
            assertEquals(List.of(), DaemonHarness.named(DaemonHarness.gauges(DaemonHarness.read(cfgOut)), StatsdReporter.RTT_MEDIAN),
                    "percentiles are off by default");
            try {
                List<String> stray = uds.until(l -> true, 2);
                throw new AssertionError("the environment's socket got datagrams although the config names DogStatsD: " + stray);
            } catch (AssertionError expected) {
                assertTrue(expected.getMessage().startsWith("nothing matched"), expected.getMessage());
            }
        }
    }

    @Test
    void anInstanceThatCannotCaptureIsCriticalAndStatusSaysSomeCapture() throws Exception {
        int port = PORTS.getAndIncrement();
        Path out = lab.workDir().resolve("a7-some-sink.out");
        DaemonHarness.startSink(lab, lab.nsA(), port, false, out);
        String cfg = config("a7-some", "  statsd_port: " + port + "\n", instance(NetLab.IF_A) + instance("nosuch0"));
        Process d = daemon("a7-some", cfg);
        String got = DaemonHarness.awaitText(out, t -> t.contains("_sc|go_metro.can_capture|0|"), Duration.ofSeconds(15),
                "the capturing instance's OK");
        assertTrue(got.contains("_sc|go_metro.can_capture|2|#env:a7,iface:nosuch0|m:cannot capture on interface nosuch0: "
                + "no such interface"), got);
        assertTrue(got.contains("_sc|go_metro.can_capture|0|#env:a7,iface:" + NetLab.IF_A), got);
        Cmd.Result s = status(cfg);
        assertEquals(1, s.exitCode(), s.stdout());
        assertTrue(s.stdout().contains("runs: 1 of 2 instances capturing"), s.stdout());
        assertTrue(s.stdout().contains("instances[1] nosuch0: failed since"), s.stdout());
        stop(d, "a7-some");
    }
}
