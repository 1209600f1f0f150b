package io.gometro.flow;

import io.gometro.decode.LinkType;
import io.gometro.decode.PacketView;
import io.gometro.testutil.Packets;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Random;

/**
 * The flow flood: a generated pcap with a million distinct one-packet flows (random ports,
 * SYN-only or data-only) interleaved with a few long-lived flows whose server acknowledges
 * every request exactly 20 ms later, and one sender that never gets an ACK. Read through a
 * memory-mapped file (so the reader adds nothing to the heap) into decode and a tracker with
 * the default limits. {@link #main} runs it and prints the figures; {@link FlowFloodTest}
 * runs main in a JVM with a small heap.
 */
final class FlowFlood {
    static final int FLOOD_FLOWS = 1_000_000;
    static final int LEGIT = 4;
    static final long RTT = 20_000_000L;            // 20 ms
    static final long FLOOD_GAP = 50_000L;           // 50 us between flood packets: 50 s of flood
    static final long LEGIT_PERIOD = 100_000_000L;   // a request every 100 ms per legitimate flow
    static final int SNAPLEN = 96;
    static final long T0 = 1_700_000_000L * 1_000_000_000L;

    /** Writes the flood; returns the number of legitimate requests per flow. */
    static int generate(Path file, long seed) throws IOException {
        Random rnd = new Random(seed);
        byte[] syn = Packets.tcp().src("11.0.0.0", 1).dst("10.9.0.1", 1).flags(PacketView.SYN).seq(0).ethernet();
        byte[] data = Packets.tcp().src("11.0.0.0", 1).dst("10.9.0.1", 1).flags(PacketView.ACK | PacketView.PSH)
                .seq(0).payload(200).ethernet();
        int requests = 0;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            h.putInt(0xa1b23c4d).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0)
                    .putInt(SNAPLEN).putInt(LinkType.ETHERNET);
            out.write(h.array());
            int[] legitSeq = new int[LEGIT];
            long nextLegit = T0;
            long endFlood = T0 + FLOOD_FLOWS * FLOOD_GAP;
            int stuffSeq = 1;
            // Pending acks of the legitimate flows: (time, flow, ack), in time order per round.
            long[] ackAt = new long[LEGIT];
            int[] ackNo = new int[LEGIT];
            boolean acksDue = false;
            for (int i = 0; i < FLOOD_FLOWS; i++) {
                long t = T0 + i * FLOOD_GAP;
                if (acksDue && ackAt[0] <= t) {
                    for (int f = 0; f < LEGIT; f++) {
                        record(out, ackAt[f], legit(f, false).seq(5000).ack(ackNo[f]).flags(PacketView.ACK).ethernet());
                    }
                    acksDue = false;
                }
                if (nextLegit <= t && nextLegit + RTT < endFlood) {
                    for (int f = 0; f < LEGIT; f++) {
                        long at = nextLegit + f * 1000L;
                        record(out, at, legit(f, true).seq(legitSeq[f]).ack(5000).flags(PacketView.ACK | PacketView.PSH)
                                .payload(100).ethernet());
                        legitSeq[f] += 100;
                        ackAt[f] = at + RTT;
                        ackNo[f] = legitSeq[f];
                    }
                    acksDue = true;
                    requests++;
                    // The stuffer: data nobody acknowledges, to press on max_pending.
                    for (int k = 0; k < 3; k++) {
                        record(out, nextLegit + 5000, Packets.tcp().src("10.1.0.9", 7000).dst("10.2.0.9", 9000)
                                .seq(stuffSeq).flags(PacketView.ACK).payload(10).ethernet());
                        stuffSeq += 10;
                    }
                    nextLegit += LEGIT_PERIOD;
                }
                byte[] frame = rnd.nextBoolean() ? syn : data;
                // Distinct by construction: the source address is 11.0.0.0 + i; ports are random.
                int ip = 0x0B00_0000 + i;
                putInt(frame, 14 + 12, ip);
                putShort(frame, 34, 1 + rnd.nextInt(65535));
                putShort(frame, 36, 1 + rnd.nextInt(65535));
                putInt(frame, 38, rnd.nextInt());
                record(out, t, frame);
            }
            if (acksDue) {
                for (int f = 0; f < LEGIT; f++) {
                    record(out, ackAt[f], legit(f, false).seq(5000).ack(ackNo[f]).flags(PacketView.ACK).ethernet());
                }
            }
        }
        return requests;
    }

    static Packets.Builder legit(int f, boolean request) {
        return request ? Packets.tcp().src("10.1.0.1", 5000 + f).dst("10.2.0.1", 443)
                : Packets.tcp().src("10.2.0.1", 443).dst("10.1.0.1", 5000 + f);
    }

    private static void record(OutputStream out, long ts, byte[] frame) throws IOException {
        int cap = Math.min(SNAPLEN, frame.length);
        byte[] h = new byte[16];
        ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN)
                .putInt((int) (ts / 1_000_000_000L)).putInt((int) (ts % 1_000_000_000L)).putInt(cap).putInt(frame.length);
        out.write(h);
        out.write(frame, 0, cap);
    }

    private static void putInt(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 24); b[p + 1] = (byte) (v >>> 16); b[p + 2] = (byte) (v >>> 8); b[p + 3] = (byte) v;
    }

    private static void putShort(byte[] b, int p, int v) {
        b[p] = (byte) (v >>> 8); b[p + 1] = (byte) v;
    }

    /** Figures of one run. */
    record Figures(long packets, long created, long evictions, int maxActive, long maxPending,
                   long legitSamples, long legitMin, long legitMax, long heapBaseline, long heapFull,
                   long heapPeak, long scans, long maxEvictedIdDrops) {
        double bytesPerConnection(int flows) { return (heapFull - heapBaseline) / (double) flows; }
    }

    /** Reads the file through decode into a tracker with the default limits, checking as it goes. */
    static Figures run(Path file, int requests) throws IOException {
        MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
        TrackerConfig cfg = TrackerConfig.defaults();
        long[] evictedOrder = {-1, 0};   // last evicted id, times the order went backwards
        long[] legitRemovedEvicted = {0};
        TrackerChecks checks = new TrackerChecks(cfg, false) {
            @Override
            public void onRemoved(Flow f, Removal why) {
                super.onRemoved(f, why);
                if (why == Removal.EVICTED) {
                    if (isLegit(f)) legitRemovedEvicted[0]++;
                    if (f.id() < evictedOrder[0]) evictedOrder[1]++;
                    evictedOrder[0] = f.id();
                }
            }
        };
        System.gc();
        long baseline = mem.getHeapMemoryUsage().getUsed();
        FlowTracker tracker = new FlowTracker(cfg, LocalPolicy.everyone(), checks);
        PacketView view = new PacketView();
        Flow[] legit = new Flow[LEGIT];
        long packets = 0, peak = 0, scans = 0;
        int maxActive = 0;
        long heapFull = 0;
        try (Arena arena = Arena.ofConfined(); FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long p = 24, size = seg.byteSize();
            ValueLayout.OfInt le = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            while (size - p >= 16) {
                long ts = (seg.get(le, p) & 0xffff_ffffL) * 1_000_000_000L + (seg.get(le, p + 4) & 0xffff_ffffL);
                int cap = seg.get(le, p + 8);
                if (view.decode(seg, p + 16, cap, LinkType.ETHERNET) == PacketView.OK) {
                    checks.packetTime(ts);
                    tracker.onPacket(view, ts);
                }
                p += 16 + cap;
                packets++;
                int active = tracker.activeConnections();
                if (active > maxActive) maxActive = active;
                if (active > cfg.maxFlows()) throw new AssertionError(active + " connections > max_flows");
                if (packets % 100_000 == 0) {
                    checks.scan(tracker);
                    scans++;
                    long used = mem.getHeapMemoryUsage().getUsed();
                    if (used > peak) peak = used;
                    findLegit(tracker, legit);
                }
            }
            // The table is full: the heap it holds.
            findLegit(tracker, legit);
            System.gc();
            heapFull = mem.getHeapMemoryUsage().getUsed();
            checks.scan(tracker);
        }
        long legitSamples = 0, lmin = Long.MAX_VALUE, lmax = Long.MIN_VALUE;
        for (Flow f : legit) {
            if (f == null) throw new AssertionError("a legitimate flow left the table during the flood");
            legitSamples += f.samples();
            lmin = Math.min(lmin, f.minRttNanos());
            lmax = Math.max(lmax, f.maxRttNanos());
        }
        tracker.finish(tracker.clock());
        checks.checkFinished(tracker);
        if (legitRemovedEvicted[0] != 0) throw new AssertionError("a legitimate flow was evicted");
        return new Figures(packets, FLOOD_FLOWS + LEGIT + 1, tracker.evictions(), maxActive, checks.maxPendingSeen,
                legitSamples, lmin, lmax, baseline, heapFull, peak, scans, evictedOrder[1]);
    }

    private static boolean isLegit(Flow f) {
        return f.srcLo() == (0x0000_ffff_0000_0000L | 0x0A01_0001L) && f.srcPort() >= 5000 && f.srcPort() < 5000 + LEGIT;
    }

    /** The legitimate flows' Flow objects, found in the live table (and the same ones each time). */
    private static void findLegit(FlowTracker t, Flow[] legit) {
        Flow[] now = new Flow[LEGIT];
        for (Connection c = t.table().first(); c != null; c = c.lruNext) {
            for (Flow f : new Flow[] {c.toA, c.toB}) {
                if (f != null && isLegit(f)) now[f.srcPort() - 5000] = f;
            }
        }
        for (int i = 0; i < LEGIT; i++) {
            if (now[i] == null) throw new AssertionError("legitimate flow " + i + " is not in the table");
            if (legit[i] != null && legit[i] != now[i]) throw new AssertionError("legitimate flow " + i + " was replaced (evicted and re-created)");
            legit[i] = now[i];
        }
    }

    /** Prints the figures as key=value lines (parsed by FlowFloodTest). Exit 1 on a broken invariant. */
    public static void main(String[] args) throws IOException {
        Path file = Path.of(args[0]);
        long t0 = System.nanoTime();
        int requests = generate(file, 20_260_101L);
        long t1 = System.nanoTime();
        Figures f = run(file, requests);
        long t2 = System.nanoTime();
        int flows = TrackerConfig.defaults().maxFlows();
        System.out.println("file_bytes=" + Files.size(file));
        System.out.println("requests_per_legit_flow=" + requests);
        System.out.println("packets=" + f.packets());
        System.out.println("connections_created=" + f.created());
        System.out.println("evictions=" + f.evictions());
        System.out.println("max_active=" + f.maxActive());
        System.out.println("max_pending_seen=" + f.maxPending());
        System.out.println("legit_samples=" + f.legitSamples());
        System.out.println("legit_min_ns=" + f.legitMin());
        System.out.println("legit_max_ns=" + f.legitMax());
        System.out.println("eviction_order_inversions=" + f.maxEvictedIdDrops());
        System.out.println("heap_baseline=" + f.heapBaseline());
        System.out.println("heap_full_table=" + f.heapFull());
        System.out.println("heap_peak_polled=" + f.heapPeak());
        System.out.printf("bytes_per_connection=%.0f%n", f.bytesPerConnection(flows));
        System.out.println("max_heap=" + Runtime.getRuntime().maxMemory());
        System.out.printf("generate_s=%.1f run_s=%.1f%n", (t1 - t0) / 1e9, (t2 - t1) / 1e9);
    }
}
