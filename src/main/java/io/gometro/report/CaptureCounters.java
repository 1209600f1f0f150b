package io.gometro.report;

/**
 * One capture's operational figures at a flush, all since the capture started
 * (pcap_stats counts are cumulative, so these are reported as gauges of totals).
 *
 * @param packets     packets the capture loop has processed
 * @param kernelDrops pcap ps_drop: dropped by the kernel for lack of buffer space
 * @param ifDrops     pcap ps_ifdrop: dropped by the interface or its driver
 * @param activeFlows connections in the flow table now
 * @param copies      frames ignored as copies of one seen a moment before (a capture on {@code any})
 * @param discarded   samples discarded: the clock stepped, or the capture missed ACKs
 */
public record CaptureCounters(long packets, long kernelDrops, long ifDrops, long activeFlows,
                              long copies, long discarded) {

    /** What {@code go_metro.packets.dropped} reports: kernel plus interface drops. */
    public long dropped() {
        return kernelDrops + ifDrops;
    }

    /** "packets, dropped, active flows", and the copies and discarded samples when there are any. */
    public String summary() {
        StringBuilder b = new StringBuilder().append(packets).append(" packets, ").append(dropped())
                .append(" dropped, ").append(activeFlows).append(" active flows");
        if (copies > 0) b.append(", ").append(copies).append(" frames seen twice ignored");
        if (discarded > 0) b.append(", ").append(discarded).append(" samples discarded");
        return b.toString();
    }
}
