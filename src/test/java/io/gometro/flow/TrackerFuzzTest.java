package io.gometro.flow;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.gometro.decode.Addresses;
import io.gometro.decode.LinkType;
import io.gometro.decode.PacketView;
import io.gometro.testutil.Packets;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Jazzer target: sequences of packets over a few reused flows, through real decoding into
 * the tracker, with small limits so that eviction, queue overflow and expiry all happen.
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

    /** Runs one input; returns the checks for callers that want the counts. */
    static TrackerChecks run(byte[] input) {
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
        FlowTracker tracker = new FlowTracker(cfg, local, checks);
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
            tracker.onPacket(view, ts);
            checks.scan(tracker);
        }
        tracker.finish(tracker.clock());
        checks.checkFinished(tracker);
        return checks;
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
