package io.gometro.bench;

import io.gometro.decode.LinkType;
import io.gometro.decode.PacketView;
import io.gometro.flow.Flow;
import io.gometro.flow.FlowListener;
import io.gometro.flow.FlowTracker;
import io.gometro.flow.LocalPolicy;
import io.gometro.flow.TrackerConfig;
import org.openjdk.jmh.annotations.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Decode plus flow update per packet, the whole per-packet path of the daemon: 256
 * interleaved copies of the scp connection (256 live flows, 168,192 packets per pass). Each
 * pass continues in packet time after the previous one, so a pass opens 256 new connections
 * on the same ports after the old ones expired: per-connection costs (the Connection, two
 * Flows, the segment queue growing to the flight size) are inside the figure, amortised over
 * the connection's 657 packets. One op = one packet. Daemon configuration (no sketches).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-Xmx64m"})
public class FlowBench {
    @Param({"256"})
    public int copies;

    private Arena arena;
    private Packets packets;
    private MemorySegment all;
    private final PacketView view = new PacketView();
    private FlowTracker tracker;
    private int i;
    private long lapOffset;
    long removed;

    @Setup
    public void setUp() {
        arena = Arena.ofConfined();
        packets = new Packets(arena, copies, 1_000_000L);
        all = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
        long local = 0x0000_ffff_0000_0000L | 0x0a2a1fdeL; // 10.42.31.222, IPv4-mapped
        tracker = new FlowTracker(TrackerConfig.defaults(), LocalPolicy.of(new long[] {0, local}),
                new FlowListener() {
                    @Override public void onFlush(long nowNanos, List<Flow> fresh) {}
                    @Override public void onRemoved(Flow f, Removal why) { removed++; }
                });
    }

    @TearDown
    public void tearDown() { arena.close(); }

    @Benchmark
    public long packet() {
        int j = i;
        if (j + 1 == packets.size()) {
            i = 0;
            lapOffset += packets.span;
        } else {
            i = j + 1;
        }
        if (view.decode(all, packets.seg.address() + packets.offset[j], packets.caplen[j], LinkType.ETHERNET)
                == PacketView.OK) {
            tracker.onPacket(view, packets.ts[j] + lapOffset);
        }
        return tracker.samples();
    }
}
