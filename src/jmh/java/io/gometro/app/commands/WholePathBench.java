package io.gometro.app.commands;

import org.openjdk.jmh.annotations.*;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Analysis mode's whole path in a warm JVM: {@code go-metro -pcap F -local IP -json} without the
 * process around it (memory-mapped read, decode, tracker with sketches, the report), over the
 * bench's capture at 300 copies (197,100 packets, 300 flows), header-only and full-size. One op =
 * one packet. Beside scripts/bench/run's whole-process ns/packet, the gap is what the process
 * adds: JVM start, class loading, the JIT's warm-up, the report. In package app because
 * {@link Analyze} is package-private. Not 0 B/op, unlike DecodeBench and FlowBench: each pass
 * opens a tracker and 300 connections with their sketches, as a real run does (~1 KB per
 * connection, amortised over its 657 packets).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@org.openjdk.jmh.annotations.Warmup(iterations = 3, time = 2)  // not app.Warmup, the daemon's
@Measurement(iterations = 5, time = 2)
// The launcher's analysis-mode flags (dist/bin/go-metro).
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx48m", "-Xmn2m",
        "-XX:-TieredCompilation", "-XX:CICompilerCount=1", "-XX:+UseCompactObjectHeaders"})
public class WholePathBench {
    static final int COPIES = 300;
    static final int PACKETS = COPIES * 657;

    /** Bytes kept per packet: 96 (tcpdump -s 96), or 0 for whole frames. */
    @Param({"96", "0"})
    public int snaplen;

    private String capture;
    private List<InetAddress> local;
    private final PrintStream discard = new PrintStream(OutputStream.nullOutputStream());

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        Path root = Path.of(System.getProperty("user.dir"));
        Process p = new ProcessBuilder(root.resolve("scripts/bench/mkcapture").toString(), "--copies", String.valueOf(COPIES),
                "--snaplen", String.valueOf(snaplen))
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        capture = new String(p.getInputStream().readAllBytes()).strip();
        if (p.waitFor() != 0) throw new IllegalStateException("scripts/bench/mkcapture failed");
        int n = records(Path.of(capture));
        if (n != PACKETS) throw new IllegalStateException(capture + " holds " + n + " packets, the op count says " + PACKETS);
        local = List.of(InetAddress.getByName("10.42.31.222"));
    }

    @Benchmark
    @OperationsPerInvocation(PACKETS)
    public int pass() {
        int rc = Analyze.run(capture, local, true, null, discard, System.err);
        if (rc != 0) throw new IllegalStateException("analysis of " + capture + " exited " + rc);
        return rc;
    }

    /**
     * Records in a classic little-endian pcap file (what mkcapture writes from the fixture), counted
     * in place: testutil.PcapFile.read would hold every record in this fork's 48 MB heap.
     */
    private static int records(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f)) {
            ByteBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size()).order(ByteOrder.LITTLE_ENDIAN);
            int n = 0;
            for (int at = 24; at + 16 <= b.limit(); at += 16 + b.getInt(at + 8)) n++;
            return n;
        }
    }
}
