package io.gometro.report;

/**
 * One capture's operational figures at a flush, all since the capture started
 * (pcap_stats counts are cumulative, so these are reported as gauges of totals).
 *
 * @param packets     packets the capture loop has processed
 * @param kernelDrops pcap ps_drop: dropped by the kernel for lack of buffer space
 * @param ifDrops     pcap ps_ifdrop: dropped by the interface or its driver
 * @param activeFlows connections in the flow table now
 */
public record CaptureCounters(long packets, long kernelDrops, long ifDrops, long activeFlows) {
    /** What {@code go_metro.packets.dropped} reports: kernel plus interface drops. */
    public long dropped() {
        return kernelDrops + ifDrops;
    }
}
