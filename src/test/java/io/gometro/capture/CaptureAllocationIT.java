package io.gometro.capture;

import com.sun.management.ThreadMXBean;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.*;

/** The hot path allocates nothing per packet: measured with the JVM's per-thread allocation counter. */
class CaptureAllocationIT {
    @Test void loopAllocatesNothingPerPacket() throws Exception {
        ThreadMXBean mx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeSupported(mx);
        CaptureThroughput.Count c = new CaptureThroughput.Count();
        long perRound = 0;
        // Warm up until the loop is compiled; then one round must allocate (almost) nothing.
        long best = Long.MAX_VALUE;
        for (int r = 0; r < 400; r++) {
            try (PacketSource h = PacketSource.file(CaptureOfflineIT.SCP)) {
                long tid = Thread.currentThread().threadId();
                long a0 = mx.getThreadAllocatedBytes(tid);
                h.loop(c, () -> false);
                long a1 = mx.getThreadAllocatedBytes(tid);
                perRound = a1 - a0;
                best = Math.min(best, perRound);
                if (r < 3 || r == 399) System.out.println("CaptureAllocationIT round " + r + ": " + perRound + " bytes");
            }
        }
        // 657 packets per round: even one 16-byte object per packet would be over 10 KB.
        assertTrue(best < 1024, "bytes allocated by a warm loop over 657 packets: " + best + " (last " + perRound + ")");
        assertTrue(perRound < 1024, "last round allocated " + perRound + " bytes");
    }

    private static void assumeSupported(ThreadMXBean mx) {
        org.junit.jupiter.api.Assumptions.assumeTrue(mx.isThreadAllocatedMemorySupported());
        mx.setThreadAllocatedMemoryEnabled(true);
    }
}
