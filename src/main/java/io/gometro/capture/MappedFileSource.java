package io.gometro.capture;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.function.BooleanSupplier;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * A classic pcap file read in place from a memory map ({@link MappedSavefile}): pcap_next_ex
 * copies every packet twice (page cache to the FILE's buffer, to libpcap's), ~45% of the reading
 * thread on the bench's capture. libpcap still opens the file and vouches for its header (the
 * {@link LibpcapSource} kept here), compiles {@code -f}, and runs it per record with
 * pcap_offline_filter.
 */
final class MappedFileSource implements PacketSource {
    /** -Dgometro.mapFiles=false reads classic pcap files through pcap_next_ex too. */
    static final boolean ENABLED = !"false".equals(System.getProperty("gometro.mapFiles"));

    /** All of native memory as one segment: records are read at absolute addresses through it. */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private final LibpcapSource libpcap;
    private final MappedSavefile mapped;
    private final Arena arena = Arena.ofShared();
    private MemorySegment filterProg;     // the compiled filter, run by pcap_offline_filter
    private MemorySegment filterHdr;      // the struct pcap_pkthdr it reads lengths from
    private String lastError;
    private boolean closed, looping;

    MappedFileSource(LibpcapSource libpcap, MappedSavefile mapped) {
        this.libpcap = libpcap;
        this.mapped = mapped;
    }

    @Override public int linkType() { return libpcap.linkType(); }

    @Override public boolean isLive() { return false; }

    @Override public void setFilter(String bpf) throws CaptureException {
        if (closed) throw new IllegalStateException(libpcap.source() + " is closed");
        MemorySegment prog = arena.allocate(16, 8);
        libpcap.compile(bpf, prog);
        freeFilter();
        filterProg = prog;
        if (filterHdr == null) filterHdr = arena.allocate(24, 8);
    }

    @Override public End loop(PacketHandler handler, BooleanSupplier stop) {
        synchronized (this) {
            if (closed) throw new IllegalStateException(libpcap.source() + " is closed");
            if (looping) throw new IllegalStateException(libpcap.source() + ": loop is already running");
            looping = true;
        }
        try {
            return readRecords(handler, stop);
        } catch (InternalError e) {
            // A page of the map past a new end of file (the file was cut short while being read)
            // raises SIGBUS, which the JVM throws as this error from the access that touched it.
            lastError = libpcap.source() + ": the file changed while being read (it is shorter now: " + e.getMessage() + ")";
            return End.ERROR;
        } finally {
            synchronized (this) { looping = false; }
        }
    }

    private End readRecords(PacketHandler handler, BooleanSupplier stop) {
        final MappedSavefile m = mapped;
        final MemorySegment all = ALL;
        final MemorySegment prog = filterProg, hdr = filterHdr;
        final MethodHandle filter = prog != null ? libpcap.lib().offlineFilter() : null;
        while (!stop.getAsBoolean()) {
            int r = m.next(all);
            if (r > 0) {
                if (filter != null) {
                    // struct pcap_pkthdr: the filter reads caplen and len only.
                    hdr.set(JAVA_INT, 16, m.caplen);
                    hdr.set(JAVA_INT, 20, m.wireLen);
                    int pass;
                    try {
                        pass = (int) filter.invokeExact(prog, hdr, m.data);
                    } catch (Throwable t) {
                        lastError = "pcap_offline_filter call failed: " + t;
                        return End.ERROR;
                    }
                    if (pass == 0) continue;
                }
                if (!handler.onPacket(all, m.data, m.caplen, m.wireLen, m.tsNanos)) return End.YIELD;
            } else if (r == 0) {
                return End.EOF;
            } else {
                lastError = libpcap.source() + ": " + m.error;
                return End.ERROR;
            }
        }
        return End.STOPPED;
    }

    @Override public String lastError() { return lastError; }

    @Override public Stats stats() { return new Stats(0, 0, 0); }

    private void freeFilter() {
        if (filterProg == null) return;
        try {
            libpcap.lib().freecode().invokeExact(filterProg);
        } catch (Throwable t) {
            throw new IllegalStateException("pcap_freecode failed on " + libpcap.source(), t);
        }
        filterProg = null;
    }

    @Override public void close() {
        synchronized (this) {
            if (looping) throw new IllegalStateException(libpcap.source() + ": close while the capture loop runs; stop it first");
            if (closed) return;
            closed = true;
        }
        try {
            freeFilter();   // before the arena holding the struct goes
            arena.close();
            libpcap.close();
        } finally {
            mapped.close();
        }
    }

    @Override public String toString() { return "MappedFileSource[" + libpcap.source() + "]"; }
}
