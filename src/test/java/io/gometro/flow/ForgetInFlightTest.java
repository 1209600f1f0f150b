package io.gometro.flow;

import io.gometro.decode.LinkType;
import io.gometro.decode.PacketView;
import io.gometro.testutil.Packets;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** After a capture pause (duty-cycle sampling) no segment from before it is timed across it. */
class ForgetInFlightTest {
    private static final long MS = 1_000_000L;

    private long lastRtt = -1, minRtt = -1;
    private final FlowTracker t = new FlowTracker(TrackerConfig.defaults(),
            LocalPolicy.of(new long[] {0, 0x0000_ffff_0a00_0001L}), new FlowListener() {
                @Override public void onFlush(long now, List<Flow> fresh) {}
                @Override public void onRemoved(Flow f, Removal why) {
                    lastRtt = f.lastRttNanos();
                    minRtt = f.minRttNanos();
                }
            });
    private final PacketView v = new PacketView();

    private void feed(Packets.Builder b, long ts) {
        byte[] f = b.ethernet();
        assertEquals(PacketView.OK, v.decode(MemorySegment.ofArray(f), 0, f.length, LinkType.ETHERNET));
        t.onPacket(v, ts);
    }

    private void request(int seq, long ts) {
        feed(Packets.tcp().src("10.0.0.1", 40000).dst("10.0.0.2", 80).seq(seq).ack(1).flags(0x18).payload(100), ts);
    }

    private void ack(int ack, long ts) {
        feed(Packets.tcp().src("10.0.0.2", 80).dst("10.0.0.1", 40000).seq(1).ack(ack).flags(0x10), ts);
    }

    @Test
    void aSegmentFromBeforeThePauseIsNotTimedAcrossIt() {
        request(0, 0);
        ack(100, 30 * MS);
        assertEquals(1, t.samples());
        request(100, 990 * MS);          // its ACK comes during the pause, unseen
        t.forgetInFlight();
        request(300, 2_000 * MS);        // after the pause: a later request ...
        ack(400, 2_030 * MS);            // ... whose ACK also covers the one before the pause
        assertEquals(2, t.samples());
        t.finish(t.clock());
        assertEquals(30 * MS, lastRtt);
    }

    @Test
    void withoutForgettingTheSampleWouldSpanThePause() {
        // A pause shorter than SampleRule's 200 ms spread bound, which would catch a longer one.
        request(0, 0);
        ack(100, 30 * MS);
        request(100, 990 * MS);
        request(300, 1_100 * MS);
        ack(400, 1_130 * MS);
        assertEquals(2, t.samples());
        t.finish(t.clock());
        assertEquals(140 * MS, lastRtt);       // what forgetInFlight prevents
    }

    @Test
    void forgettingAcrossAShortPauseKeepsTheTrueRtt() {
        request(0, 0);
        ack(100, 30 * MS);
        request(100, 990 * MS);
        t.forgetInFlight();
        request(300, 1_100 * MS);
        ack(400, 1_130 * MS);
        assertEquals(2, t.samples());
        t.finish(t.clock());
        assertEquals(30 * MS, lastRtt);
    }
}
