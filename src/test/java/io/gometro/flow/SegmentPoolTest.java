package io.gometro.flow;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Segment-queue arrays go back to the tracker's pool at release and are reused by the next queue. */
class SegmentPoolTest {

    private static void fill(SegmentQueue q, int n, int base) {
        for (int i = 0; i < n; i++) q.append(base + 10 * i, base + 10 * i + 10, i, i, 0);
    }

    @Test void releasedArraysAreReusedWithTheirContentsReplaced() {
        SegmentPool pool = new SegmentPool();
        SegmentQueue a = new SegmentQueue(1024, pool);
        fill(a, 40, 0);                          // grows 4, 8, 16, 32, 64: the smaller ones go to the pool
        assertEquals(64, a.capacity());
        assertEquals(1, pool.held(4));
        assertEquals(1, pool.held(32));
        a.release();
        assertEquals(1, pool.held(64));
        assertEquals(0, a.capacity());

        SegmentQueue b = new SegmentQueue(1024, pool);
        fill(b, 40, 1_000_000);                  // the same sizes come back out of the pool
        assertEquals(64, b.capacity());
        assertEquals(0, pool.held(64));
        for (int i = 0; i < 40; i++) {
            assertEquals(1_000_000 + 10 * i, b.start(i));
            assertEquals(1_000_000 + 10 * i + 10, b.end(i));
            assertEquals(i, b.tsVal(i));
            assertEquals(i, b.sentAt(i));
        }
    }

    @Test void thePoolIsBounded() {
        SegmentPool pool = new SegmentPool();
        int limit = (int) (SegmentPool.MAX_BYTES / (20 * 1024));  // pairs of 1024 entries kept at most
        for (int i = 0; i < limit + 10; i++) pool.give(new int[3 * 1024], new long[1024]);
        assertEquals(limit, pool.held(1024));
        // what is left below MAX_BYTES takes small pairs, then nothing more
        int small = (int) ((SegmentPool.MAX_BYTES - limit * 20L * 1024) / (20 * 4));
        for (int i = 0; i < small + 10; i++) pool.give(new int[3 * 4], new long[4]);
        assertEquals(small, pool.held(4));
        pool.takeSeq(1024);
        pool.takeSent(1024);
        pool.give(new int[3 * 1024], new long[1024]);  // room again
        assertEquals(limit, pool.held(1024));
        SegmentPool fresh = new SegmentPool();   // and at most MAX_PER_SIZE pairs of one size
        for (int i = 0; i < SegmentPool.MAX_PER_SIZE + 10; i++) fresh.give(new int[3 * 4], new long[4]);
        assertEquals(SegmentPool.MAX_PER_SIZE, fresh.held(4));
        pool.give(new int[3 * 6], new long[6]);  // not a pooled size
        assertEquals(0, pool.held(6));
    }

    @Test void aBoundBelowAPowerOfTwoIsNotPooledButWorks() {
        SegmentPool pool = new SegmentPool();
        SegmentQueue q = new SegmentQueue(100, pool);
        fill(q, 100, 0);
        assertEquals(100, q.capacity());
        q.release();
        assertEquals(0, pool.held(100));
        assertEquals(1, pool.held(64));
    }
}
