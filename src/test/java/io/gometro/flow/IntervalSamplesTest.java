package io.gometro.flow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The percentiles' sample store: exact below its capacity, a uniform sample above it, cleared per flush. */
class IntervalSamplesTest {
    final Flow f = new Flow(0, 0, 1, 1000, 0, 2, 80);

    @Test
    void belowCapacityItHoldsEverySampleWithItsPair() {
        IntervalSamples s = new IntervalSamples();
        for (int i = 0; i < 1000; i++) s.add(f, i);
        assertEquals(1000, s.size());
        assertEquals(1000, s.seen());
        for (int i = 0; i < 1000; i++) assertEquals(i, s.rttNanos(i));
        assertEquals(1, s.srcLo(999));
        assertEquals(2, s.dstLo(999));
        s.clear();
        assertEquals(0, s.size());
        assertEquals(0, s.seen());
    }

    @Test
    void aboveCapacityItKeepsAUniformSample() {
        IntervalSamples s = new IntervalSamples();
        int n = IntervalSamples.CAPACITY * 8;
        for (int i = 0; i < n; i++) s.add(f, i);
        assertEquals(IntervalSamples.CAPACITY, s.size());
        assertEquals(n, s.seen());
        // Uniform over 0..n-1: each eighth of the range holds about an eighth of the sample. Keeping the
        // first CAPACITY (no replacement) would put all of them in the first eighth.
        int[] eighth = new int[8];
        for (int i = 0; i < s.size(); i++) eighth[(int) (s.rttNanos(i) / IntervalSamples.CAPACITY)]++;
        for (int e : eighth) {
            assertTrue(Math.abs(e - IntervalSamples.CAPACITY / 8.0) < 0.05 * IntervalSamples.CAPACITY / 8.0,
                    java.util.Arrays.toString(eighth));
        }
    }
}
