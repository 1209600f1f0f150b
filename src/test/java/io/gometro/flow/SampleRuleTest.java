package io.gometro.flow;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sample rule on hand-made sequences: each case is one line of SampleRule's header. */
class SampleRuleTest {
    private static final long MS = 1_000_000L;
    private static final int[] NO_SACK = new int[4];

    private final Flow f = new Flow(0, 0, 1, 1000, 0, 2, 80, 64);

    private long ack(int ack, long atMs) {
        return SampleRule.onAck(f, ack, 0, NO_SACK, NO_SACK, false, 0, atMs * MS);
    }

    private long sack(int ack, long atMs, int l, int r) {
        return SampleRule.onAck(f, ack, 1, new int[] {l, 0, 0, 0}, new int[] {r, 0, 0, 0}, false, 0, atMs * MS);
    }

    @Test
    void requestResponseIsMatchedOnTheEndSequence() {
        SampleRule.onSend(f, 1000, 143, false, 0, 0);          // one request, no other segment
        assertEquals(73 * MS, ack(1143, 73));           // the ACK names the end: go-metro missed this
    }

    @Test
    void synAndFinCountOneSequenceNumberEach() {
        SampleRule.onSend(f, 5000, 1, false, 0, 0);            // SYN
        assertEquals(72 * MS, ack(5001, 72));
        SampleRule.onSend(f, 5001, 1, true, 100 * MS, 0);      // FIN
        assertEquals(75 * MS, ack(5002, 175));
        assertEquals(0, f.queue.capacity(), "a closed, fully acked sender keeps no queue");
    }

    @Test
    void cumulativeAckSamplesTheEarliestNewlyAckedSegment() {
        SampleRule.onSend(f, 0, 100, false, 0, 0);
        SampleRule.onSend(f, 100, 100, false, 5 * MS, 0);
        SampleRule.onSend(f, 200, 100, false, 10 * MS, 0);
        // One late ACK covers all three: the sample comes from the first, not the last.
        assertEquals(40 * MS, ack(300, 40));
        assertEquals(0, f.pendingSegments());
    }

    @Test
    void duplicateAckYieldsNothing() {
        SampleRule.onSend(f, 0, 100, false, 0, 0);
        SampleRule.onSend(f, 100, 100, false, 1 * MS, 0);
        assertEquals(20 * MS, ack(100, 20));
        assertEquals(SampleRule.NONE, ack(100, 21));
        assertEquals(SampleRule.NONE, ack(100, 22));
    }

    @Test
    void ackOfUnsentDataIsIgnored() {
        SampleRule.onSend(f, 0, 100, false, 0, 0);
        assertEquals(SampleRule.NONE, ack(5000, 20));
        assertEquals(1, f.pendingSegments());
        assertEquals(20 * MS, ack(100, 20));
    }

    @Test
    void karnRetransmittedSegmentYieldsNoSample() {
        SampleRule.onSend(f, 0, 100, false, 0, 0);
        SampleRule.onSend(f, 0, 100, false, 200 * MS, 0);      // RTO retransmission
        assertEquals(SampleRule.NONE, ack(100, 230));
    }

    @Test
    void ackCoveringRetransmittedAndFreshDataYieldsNoCumulativeSample() {
        SampleRule.onSend(f, 0, 100, false, 0, 0);
        SampleRule.onSend(f, 100, 100, false, 1 * MS, 0);
        SampleRule.onSend(f, 0, 100, false, 200 * MS, 0);
        assertEquals(SampleRule.NONE, ack(200, 230));                // Linux: FLAG_RETRANS_DATA_ACKED
    }

    @Test
    void tsecrNamesTheRetransmittedCopy() {
        SampleRule.onSend(f, 0, 100, false, 0, 1000);
        SampleRule.onSend(f, 0, 100, false, 200 * MS, 1200);
        long rtt = SampleRule.onAck(f, 100, 0, NO_SACK, NO_SACK, true, 1200, 230 * MS);
        assertEquals(30 * MS, rtt);
    }

    @Test
    void tsecrNamingAnEarlierCopyYieldsNothing() {
        // A spurious retransmission: only the latest copy's time is kept, so no sample.
        SampleRule.onSend(f, 0, 100, false, 0, 1000);
        SampleRule.onSend(f, 0, 100, false, 200 * MS, 1200);
        assertEquals(SampleRule.NONE, SampleRule.onAck(f, 100, 0, NO_SACK, NO_SACK, true, 1000, 250 * MS));
    }

    @Test
    void copiesSharingATsvalCannotBeToldApart() {
        SampleRule.onSend(f, 0, 100, false, 0, 1000);
        SampleRule.onSend(f, 0, 100, false, 1 * MS, 1000);    // fast retransmit within one TS tick
        assertEquals(SampleRule.NONE, SampleRule.onAck(f, 100, 0, NO_SACK, NO_SACK, true, 1000, 3 * MS));
    }

    @Test
    void timesAreKeptExactlyFarFromTheEpoch() {
        long t0 = 1_790_000_000_000_000_000L;                   // 2026 in ns since 1970
        SampleRule.onSend(f, 0, 100, false, t0, 0);
        assertEquals(18_123_456L, SampleRule.onAck(f, 100, 0, NO_SACK, NO_SACK, false, 0, t0 + 18_123_456L));
    }

    @Test
    void tsecrMatchingNoCopyYieldsNothing() {
        SampleRule.onSend(f, 0, 100, false, 0, 1000);
        SampleRule.onSend(f, 0, 100, false, 200 * MS, 1200);
        assertEquals(SampleRule.NONE, SampleRule.onAck(f, 100, 0, NO_SACK, NO_SACK, true, 999, 230 * MS));
    }

    @Test
    void newSackSamplesTheEarliestNewlySackedSegment() {
        SampleRule.onSend(f, 0, 100, false, 0, 0);             // lost
        SampleRule.onSend(f, 100, 100, false, 2 * MS, 0);
        SampleRule.onSend(f, 200, 100, false, 4 * MS, 0);
        assertEquals(20 * MS, sack(0, 22, 100, 200));   // dup ACK with new SACK: 22 - 2
        assertEquals(SampleRule.NONE, sack(0, 23, 100, 200));        // same SACK again: nothing new
        assertEquals(20 * MS, sack(0, 24, 100, 300));   // newly SACKs [200,300): 24 - 4
    }

    @Test
    void cumulativeAckAfterSackSkipsSackedSegments() {
        SampleRule.onSend(f, 0, 100, false, 0, 0);
        SampleRule.onSend(f, 100, 100, false, 2 * MS, 0);
        sack(0, 22, 100, 200);
        SampleRule.onSend(f, 0, 100, false, 30 * MS, 0);       // fast retransmit
        assertEquals(SampleRule.NONE, ack(200, 55));                 // retransmitted + SACKed: nothing
    }

    @Test
    void dsackBelowTheAckIsIgnored() {
        SampleRule.onSend(f, 0, 100, false, 0, 0);
        SampleRule.onSend(f, 100, 100, false, 1 * MS, 0);
        assertEquals(20 * MS, ack(100, 20));
        assertEquals(SampleRule.NONE, sack(100, 21, 0, 100));        // D-SACK of acked data
    }

    @Test
    void partialAckOfALargeSegmentSamplesOnce() {
        SampleRule.onSend(f, 0, 64_000, false, 0, 0);          // TSO super-segment as captured on the host
        assertEquals(30 * MS, ack(2_896, 30));
        assertEquals(SampleRule.NONE, ack(5_792, 31));
        assertEquals(SampleRule.NONE, ack(64_000, 35));
        assertEquals(0, f.pendingSegments());
    }

    @Test
    void repacketizedRetransmissionCarryingNewDataIsAmbiguous() {
        SampleRule.onSend(f, 0, 100, false, 0, 0);
        SampleRule.onSend(f, 50, 100, false, 200 * MS, 0);     // resends 50..100 and adds 100..150
        assertEquals(SampleRule.NONE, ack(150, 230));
    }

    @Test
    void sequenceNumbersWrapAround() {
        int seq = -50;                                  // 0xFFFFFFCE
        SampleRule.onSend(f, seq, 100, false, 0, 0);
        assertEquals(18 * MS, ack(seq + 100, 18));
    }

    @Test
    void pendingSegmentsStayBoundedAndOverflowIsNeverMisattributed() {
        Flow small = new Flow(0, 0, 1, 1, 0, 2, 2, 8);
        for (int i = 0; i < 100; i++) SampleRule.onSend(small, i * 10, 10, false, i * MS, 0);
        assertEquals(8, small.pendingSegments());
        // The first seven entries are exact; the eighth swallowed the rest.
        assertEquals(50 * MS, SampleRule.onAck(small, 70, 0, NO_SACK, NO_SACK, false, 0, 50 * MS));
        assertEquals(SampleRule.NONE, SampleRule.onAck(small, 1000, 0, NO_SACK, NO_SACK, false, 0, 200 * MS));
    }

    @Test
    void gapInTheCaptureStillSamplesFromWhatWasSeen() {
        SampleRule.onSend(f, 0, 100, false, 0, 0);
        SampleRule.onSend(f, 200, 100, false, 2 * MS, 0);      // [100,200) was not captured
        assertEquals(21 * MS, ack(300, 21));
    }

    @Test
    void lostAcksWithTimestampsSampleTheSegmentTsecrNames() {
        // The receiver acked 0..200 at ~30 ms with TSecr 1 (that ACK was not captured); its next
        // ACK covers everything with TSecr 3: the sample comes from the segment with TSval 3.
        SampleRule.onSend(f, 0, 100, false, 0, 1);
        SampleRule.onSend(f, 100, 100, false, 1 * MS, 1);
        SampleRule.onSend(f, 200, 100, false, 40 * MS, 3);
        SampleRule.onSend(f, 300, 100, false, 41 * MS, 3);
        assertEquals(30 * MS, SampleRule.onAck(f, 400, 0, NO_SACK, NO_SACK, true, 3, 70 * MS));
    }

    @Test
    void lostAcksWithoutTimestampsOverAWideSpreadAreDiscarded() {
        // Segments sent 5 s apart under one ACK: the receiver did not sit on the first one's ACK
        // for 5 s (delayed ACK is at most 200-500 ms); the capture missed the ACKs between.
        SampleRule.onSend(f, 0, 100, false, 0, 0);
        SampleRule.onSend(f, 100, 100, false, 5_000 * MS, 0);
        assertEquals(SampleRule.DISCARDED, ack(200, 5_030));
        // Within the bound the earliest newly acked segment is timed, as the kernel does.
        SampleRule.onSend(f, 200, 100, false, 6_000 * MS, 0);
        SampleRule.onSend(f, 300, 100, false, 6_150 * MS, 0);
        assertEquals(180 * MS, ack(400, 6_180));
    }

    @Test
    void aClockStepBackLeavesTimesRepresentable() {
        // Times before the flow's first segment (the clock stepped back) are kept, not clamped to
        // it: a segment sent after the step is still timed by its ACK.
        SampleRule.onSend(f, 0, 100, false, 100_000 * MS, 0);
        assertEquals(20 * MS, ack(100, 100_020));
        SampleRule.onSend(f, 100, 100, false, 70_000 * MS, 0);
        assertEquals(25 * MS, ack(200, 70_025));
    }

    @Test
    void theSameBytesCutSmallerMomentsLaterAreNotARetransmission() {
        // A 4,000-byte GSO super-segment on the bridge, then its pieces on the port 20 us later.
        SampleRule.onSend(f, 0, 4000, false, 0, 0);
        for (int p = 0; p < 4000; p += 1000) SampleRule.onSend(f, p, 1000, false, 20_000, 0);
        assertEquals(30 * MS, ack(2000, 30));          // still once-sent: timed, from the first copy
        // The same pieces 5 ms later are a retransmission: Karn.
        SampleRule.onSend(f, 4000, 1000, false, 40 * MS, 0);
        SampleRule.onSend(f, 4000, 1000, false, 45 * MS, 0);
        assertEquals(SampleRule.NONE, ack(5000, 75));
    }

    @Test
    void aTsecrLaterThanEverySegmentCoveredAnswersOneTheCaptureMissed() {
        // A request seen before a capture pause; the requests during it were not; the first ACK after
        // it echoes the TSval of one of those, and covers ours too: timing ours would span the pause.
        SampleRule.onSend(f, 0, 100, false, 0, 500);
        assertEquals(SampleRule.DISCARDED, SampleRule.onAck(f, 100, 0, NO_SACK, NO_SACK, true, 1500, 1_030 * MS));
        // An older TSecr (the receiver's TS.Recent lags) falls back to the earliest segment, as the kernel.
        SampleRule.onSend(f, 100, 100, false, 2_000 * MS, 2500);
        assertEquals(30 * MS, SampleRule.onAck(f, 200, 0, NO_SACK, NO_SACK, true, 2400, 2_030 * MS));
    }
}
