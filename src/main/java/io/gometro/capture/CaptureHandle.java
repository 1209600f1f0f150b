package io.gometro.capture;

import java.util.function.BooleanSupplier;

/**
 * One open libpcap handle, live or offline. pcap4j opens, configures, filters and
 * reports statistics; the packet loop reads the same pcap_t through a direct FFM
 * binding of pcap_next_ex, with no per-packet allocation.
 *
 * <p>STUB: the capture helper implements this class; the method set is the contract.
 */
public final class CaptureHandle implements AutoCloseable {
    /** Why {@link #loop} returned. */
    public enum End { EOF, STOPPED, ERROR }

    public static CaptureHandle openLive(String iface, int snaplen, int readTimeoutMillis, int bufferBytes)
            throws CaptureException { throw new UnsupportedOperationException(); }

    public static CaptureHandle openOffline(String path) throws CaptureException {
        throw new UnsupportedOperationException();
    }

    /** Compiles and installs a BPF filter. */
    public void setFilter(String bpf) throws CaptureException { throw new UnsupportedOperationException(); }

    /** The pcap link-layer type (see {@link io.gometro.decode.LinkType}). */
    public int linkType() { throw new UnsupportedOperationException(); }

    public boolean isLive() { throw new UnsupportedOperationException(); }

    /**
     * Reads packets into {@code handler} until end of file, until {@code stop} turns true
     * (checked at least once per read timeout), or until libpcap reports an error
     * (then {@link #lastError()} says what). Call from one thread only.
     */
    public End loop(PacketHandler handler, BooleanSupplier stop) { throw new UnsupportedOperationException(); }

    /** libpcap's message for the last ERROR, or null. */
    public String lastError() { throw new UnsupportedOperationException(); }

    /** pcap_stats: packets received, dropped by the kernel buffer, dropped by the interface. Live only; zeros offline. */
    public Stats stats() { throw new UnsupportedOperationException(); }

    public record Stats(long received, long dropped, long ifDropped) {}

    @Override public void close() { throw new UnsupportedOperationException(); }
}
