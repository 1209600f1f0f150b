package io.gometro.capture;

import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * Where one instance's packets come from: a live interface or a capture file. The runner reads
 * through {@link #loop}, which hands each packet to a {@link PacketHandler} in place (no copy,
 * no allocation) and returns whenever the runner has work to do between packets.
 *
 * <p>Two implementations: {@link LibpcapSource} (libpcap's pcap_next_ex, live or any file
 * libpcap reads) and {@link MappedFileSource} (a classic pcap read in place from a memory map,
 * libpcap still opening and vouching for it). Not thread-safe: open, loop and close from the
 * capture thread; never close while {@link #loop} runs.
 */
public interface PacketSource extends AutoCloseable {
    /**
     * Why {@link #loop} returned: end of file, {@code stop} turned true, an error
     * ({@link #lastError()} says what), or YIELD: the handler asked to return, what the kernel had
     * buffered is drained, or a live read waited its whole timeout on a quiet link. After YIELD
     * the caller does what is due and calls {@link #loop} again.
     */
    enum End { EOF, STOPPED, ERROR, YIELD }

    /** pcap_stats: packets received, dropped by the kernel buffer, dropped by the interface. */
    record Stats(long received, long dropped, long ifDropped) {}

    /**
     * A live capture: not promiscuous (go-metro only needs this host's own traffic),
     * {@code snaplen} bytes per packet, reads returning at least every {@code readTimeoutMillis}
     * so the runner can flush and stop on a quiet link, and a kernel buffer of {@code bufferBytes}
     * (0 keeps libpcap's default of 2 MiB).
     */
    static PacketSource live(String iface, int snaplen, int readTimeoutMillis, int bufferBytes) throws CaptureException {
        return LibpcapSource.live(iface, snaplen, readTimeoutMillis, bufferBytes);
    }

    /**
     * A capture file, pcap or pcapng, with nanosecond timestamps. A classic pcap of a link type go-metro
     * decodes is read from a memory map (libpcap's pcap_next_ex copies every packet twice); the rest,
     * and every file when {@code -Dgometro.mapFiles=false}, through libpcap.
     */
    static PacketSource file(String path) throws CaptureException {
        if (!MappedFileSource.ENABLED) return LibpcapSource.file(path);
        LibpcapSource libpcap = LibpcapSource.openFile(path);
        MappedSavefile mapped;
        try {
            // By name, as libpcap opened it a moment ago (pcap_fileno is -1 for a savefile in libpcap 1.10).
            mapped = MappedSavefile.openIfClassic(Path.of(path), libpcap.linkType(), libpcap.lib()::madvise);
        } catch (IOException | RuntimeException e) {
            mapped = null;   // pcap_next_ex reads it then
        }
        if (mapped != null) return new MappedFileSource(libpcap, mapped);
        libpcap.enlargeReadBufferIfBig();
        return libpcap;
    }

    /** The pcap link-layer type (see {@link io.gometro.decode.LinkType}). */
    int linkType();

    boolean isLive();

    /** Compiles (optimised) and installs a BPF filter. */
    void setFilter(String bpf) throws CaptureException;

    /**
     * Reads packets into {@code handler} until end of file, until {@code stop} turns true (checked
     * at least once per read timeout), until an error, or until it yields. Call from one thread only.
     */
    End loop(PacketHandler handler, BooleanSupplier stop);

    /** What went wrong at the last ERROR, or null. */
    String lastError();

    /** Live only; zeros for a file. */
    Stats stats();

    @Override void close();
}
