package io.gometro.flow;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.gometro.decode.LinkType;
import io.gometro.decode.PacketView;
import io.gometro.net.Addresses;
import io.gometro.oracle.Agreement;
import io.gometro.testutil.Packets;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Jazzer target: sequences of packets over a few reused flows, through real decoding into
 * the tracker, with small limits so that eviction, queue overflow and expiry all happen.
 * Every packet's outcome (no sample, a discarded one, or the sample's value and pair) must
 * equal the reference rule's ({@link Agreement}); the table and queue bounds and each flow's
 * single removal are checked as it runs ({@link TrackerChecks}).
 *
 * <p>Input format (read by {@link Script}; exhausted input reads as zeros and ends the run):
 * <pre>
 * config  u8: max_flows 1..8 (bits 0-2), max_pending 2..17 (bits 3-6)
 * ttls    u8: idle_ttl 1..8 s (0-2), exp_ttl 1..4 s (3-4), flush 1..8 s (5-7)
 * shape   u8: IPv6 (bit 0), endpoints 2..4 (1-2), local policy (3-4), start at time 0 (5)
 * ports   4 x u16
 * ops...  op byte k:
 *   k >= 0xE0: a raw Ethernet frame: u16 length (mod 1600), the bytes, u24 time step in us
 *   else: a built packet: src = k&3, dst = (k>>2)&3 (mod endpoints, never equal),
 *         then u8 ports (sport bits 0-1, dport 2-3; bit 4: seq is a retransmission),
 *         u8 TCP flags, i16 seq offset (for retransmissions), i16 ack offset, u16 payload
 *         (mod 1461), u8 options (bit 0 TS, bits 1-2 SACK blocks, bit 3 stale TSecr,
 *         then per block i16 left offset and u16 width), u8 time step (see {@link #step})
 * </pre>
 * Sequence and ack numbers are kept near each direction's next sequence number, so the
 * state machine sees new data, retransmissions, (D)SACKs, acks of unsent data and FINs.
 */
class TrackerFuzzTest {
    private static final String[] V4 = {"10.0.0.1", "10.0.0.2", "192.168.7.3", "172.16.0.4"};
    private static final String[] V6 = {"fd00::1", "fd00::2", "2001:db8::3", "fe80::4"};
    private static final int SNAPLEN = 128;

    @FuzzTest
    void tracker(byte[] input) {
        run(input);
    }

    /** Runs one input; returns what both sides counted. */
    static Agreement run(byte[] input) {
        Script in = new Script(input);
        int c = in.u8(), t = in.u8(), shape = in.u8();
        TrackerConfig cfg = new TrackerConfig(
                (1 + (t & 7)) * TrackerConfig.SECOND, (1 + ((t >>> 3) & 3)) * TrackerConfig.SECOND,
                (1 + (t >>> 5)) * TrackerConfig.SECOND, 1 + (c & 7), 2 + ((c >>> 3) & 15), (c & 0x80) != 0);
        String[] pool = (shape & 1) != 0 ? V6 : V4;
        int nEp = 2 + ((shape >>> 1) & 3);
        if (nEp > 4) nEp = 4;
        String[] ep = Arrays.copyOf(pool, nEp);
        long[] ep0 = Addresses.parse(ep[0]), ep1 = Addresses.parse(ep[1]);
        LocalPolicy local = switch ((shape >>> 3) & 3) {
            case 0 -> LocalPolicy.everyone();
            case 1 -> LocalPolicy.of(ep0);
            case 2 -> LocalPolicy.allBut(ep0);
            default -> LocalPolicy.of(new long[] {ep0[0], ep0[1], ep1[0], ep1[1]});
        };
        int[] ports = {in.u16(), in.u16(), in.u16(), in.u16()};

        TrackerChecks checks = new TrackerChecks(cfg, true);
        Agreement both = new Agreement(cfg, local, checks);
        FlowTracker tracker = both.tracker();
        PacketView view = new PacketView();
        Map<Long, int[]> dirs = new HashMap<>();   // per direction: next seq, last TSval
        long ts = (shape & 0x20) != 0 ? 0 : 1_700_000_000L * TrackerConfig.SECOND;

        int packets = 0;
        while (in.more() && packets < 2000) {
            int k = in.u8();
            byte[] frame;
            if (k >= 0xE0) {
                frame = in.bytes(in.u16() % 1600);
                ts += in.u24() * 1000L;
            } else {
                int s = (k & 3) % nEp, d = ((k >>> 2) & 3) % nEp;
                if (s == d) d = (d + 1) % nEp;
                int pb = in.u8();
                int sp = ports[pb & 3], dp = ports[(pb >>> 2) & 3];
                boolean retrans = (pb & 0x10) != 0;
                int flags = in.u8();
                int seqOff = in.i16(), ackOff = in.i16();
                int payload = in.u16() % 1461;
                int opts = in.u8();
                int[] fwd = dirs.computeIfAbsent(key(s, sp, d, dp), x -> new int[] {(int) (x * 0x9E3779B9L), 1000});
                int[] rev = dirs.computeIfAbsent(key(d, dp, s, sp), x -> new int[] {(int) (x * 0x9E3779B9L), 1000});
                int seq = retrans ? fwd[0] + seqOff : fwd[0];
                Packets.Builder b = Packets.tcp().src(ep[s], sp).dst(ep[d], dp)
                        .seq(seq).ack(rev[0] + ackOff).flags(flags).payload(payload);
                boolean tsOpt = (opts & 1) != 0;
                int blocks = (opts >>> 1) & 3;
                if (tsOpt) {
                    fwd[1] += 1 + (opts >>> 4);
                    b.ts(fwd[1], (opts & 8) != 0 ? rev[1] - 7 : rev[1]);
                }
                for (int i = 0; i < blocks; i++) {
                    int left = rev[0] + in.i16();
                    b.sack(left, left + in.u16());
                }
                ts = step(ts, in.u8());
                int len = payload + ((flags & PacketView.SYN) != 0 ? 1 : 0) + ((flags & PacketView.FIN) != 0 ? 1 : 0);
                if (seq + len - fwd[0] > 0) fwd[0] = seq + len;
                byte[] whole = b.ethernet();
                frame = Arrays.copyOf(whole, Math.min(SNAPLEN, whole.length));
            }
            packets++;
            if (view.decode(MemorySegment.ofArray(frame), 0, frame.length, LinkType.ETHERNET) != PacketView.OK) continue;
            checks.packetTime(ts);
            both.onPacket(view, ts);
            checks.scan(tracker);
        }
        both.assertAgreed("the fuzz input");
        tracker.finish(tracker.clock());
        checks.checkFinished(tracker);
        return both;
    }

    /**
     * The target is not vacuous: the seeds, mutated as a fuzzer first mutates them (a few bytes
     * changed, a stretch of ops repeated), reach every outcome the comparison can disagree on, and
     * often: samples, discarded samples, copies. A fuzz run that only ever compared "no sample" with
     * "no sample" would prove nothing. (Random bytes do not: their ACKs almost never fall inside
     * what was sent, which is why the fuzzer starts from the seeds.)
     */
    @Test
    void mutatedSeedsReachEveryOutcome() throws IOException {
        List<byte[]> seeds = new ArrayList<>();
        try (var files = Files.list(Path.of(
                "src/test/resources/io/gometro/flow/TrackerFuzzTestInputs/tracker"))) {
            for (Path f : files.sorted().toList()) seeds.add(Files.readAllBytes(f));
        }
        assertTrue(seeds.size() >= 5, "seeds: " + seeds.size());
        Random r = new Random(20261202);
        long samples = 0, discarded = 0, copies = 0, packets = 0;
        for (int i = 0; i < 2000; i++) {
            byte[] seed = seeds.get(r.nextInt(seeds.size()));
            byte[] in;
            if (r.nextBoolean()) {
                in = seed.clone();
                for (int k = 1 + r.nextInt(8); k > 0; k--) in[r.nextInt(in.length)] = (byte) r.nextInt(256);
            } else {
                // Repeat a stretch of the ops (after the 11-byte header) right after itself.
                int from = 11 + r.nextInt(seed.length - 11), len = 1 + r.nextInt(Math.min(200, seed.length - from));
                in = new byte[seed.length + len];
                System.arraycopy(seed, 0, in, 0, from + len);
                System.arraycopy(seed, from, in, from + len, seed.length - from);
            }
            Agreement a = run(in);
            samples += a.samples();
            discarded += a.discarded();
            copies += a.copies();
            packets += a.packets();
        }
        System.out.printf("TrackerFuzzTest: 2000 mutated seeds, %d packets: %d samples, %d discarded, %d copies, "
                + "each the same from the tracker and the rule%n", packets, samples, discarded, copies);
        assertTrue(samples > 2000 && discarded > 20 && copies > 20,
                samples + " samples, " + discarded + " discarded, " + copies + " copies");
    }

    /** Time step code: mostly small steps forwards, sometimes seconds, TTL-sized jumps, or backwards. */
    static long step(long ts, int code) {
        long ms = 1_000_000L;
        long next;
        if (code < 200) next = ts + code * 100_000L;               // 0..20 ms
        else if (code < 240) next = ts + (code - 200) * 100 * ms;  // up to 4 s: flushes, TTLs
        else if (code < 250) next = ts + (code - 239) * 3_000 * ms; // 3..30 s jumps: expiry
        else next = ts - (code - 249) * 10 * ms;                   // backwards 10..60 ms
        return Math.max(0, next);
    }

    private static long key(int s, int sp, int d, int dp) {
        return ((long) s << 40) | ((long) sp << 24) | ((long) d << 16) | dp;
    }

    /** Reads the input front to back; past its end every read is 0. */
    static final class Script {
        private final byte[] b;
        private int p;

        Script(byte[] b) { this.b = b; }

        boolean more() { return p < b.length; }
        int u8() { return p < b.length ? b[p++] & 0xff : 0; }
        int u16() { return (u8() << 8) | u8(); }
        int i16() { return (short) u16(); }
        int u24() { return (u8() << 16) | u16(); }

        byte[] bytes(int n) {
            int m = Math.max(0, Math.min(n, b.length - p));
            byte[] out = Arrays.copyOfRange(b, p, p + m);
            p += m;
            return out;
        }
    }
}
