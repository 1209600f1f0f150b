package io.gometro.bench;

import io.gometro.decode.LinkType;
import io.gometro.decode.PacketView;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * Decode cost per packet: PacketView over the scp fixture's 657 packets in native memory,
 * read through a global segment as the capture loop does. One op = one packet.
 * Run with -prof gc: the gc.alloc.rate.norm line must say 0 B/op.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx64m"})
public class DecodeBench {
    private Arena arena;
    private Packets packets;
    private MemorySegment all;
    private final PacketView view = new PacketView();
    private int i;

    @Setup
    public void setUp() {
        arena = Arena.ofConfined();
        packets = new Packets(arena, 1, 0);
        // The production loop reads through one segment spanning all memory, by address.
        all = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
    }

    @TearDown
    public void tearDown() { arena.close(); }

    @Benchmark
    public int decode() {
        int j = i;
        i = j + 1 == packets.size() ? 0 : j + 1;
        int r = view.decode(all, packets.seg.address() + packets.offset[j], packets.caplen[j], LinkType.ETHERNET);
        return r + view.seq() + view.tsEcr() + view.payloadLength();
    }
}
