package io.gometro.capture;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Packets read by libpcap from an open handle, live or a capture file. For a live handle pcap4j
 * opens, configures, filters and reports statistics ({@link Pcap4jLive}); a capture file is
 * opened, filtered and closed through FFM bindings alone, so analysis mode starts without
 * pcap4j, JNA or logging. The packet loop reads the pcap_t through a direct FFM binding of
 * pcap_next_ex, with no per-packet allocation. (A classic pcap file is usually read instead
 * from a memory map, {@link MappedFileSource}, which keeps one of these for libpcap's checks.)
 *
 * <p>Why not pcap4j's own reads: each getNextRawPacketEx call allocates JNA structures
 * (~0.3 M packets/s here), its loop with a RawPacketListener copies every packet into a
 * byte[] (~0.9 M/s); the FFM loop reads libpcap's buffer in place (several M/s).
 *
 * <p>Not thread-safe: open, loop and close from the capture thread. Never close while
 * {@link #loop} runs; make it return through {@code stop} first.
 */
public final class LibpcapSource implements PacketSource {

    /**
     * All of native memory as one segment: packet headers and data are read at absolute
     * addresses through it, so the loop never creates a MemorySegment per packet.
     */
    private static final MemorySegment ALL = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    /** pcap_get_tstamp_precision values. */
    private static final int PCAP_TSTAMP_PRECISION_NANO = 1;
    private static final short POLLIN = 1;
    /** PCAP_ERRBUF_SIZE. */
    private static final int ERRBUF = 256;

    private final Pcap4jLive pcap4j;      // live handles only; null offline (opened with FFM)
    private final Libpcap lib;
    private final String source;          // interface or file, for messages
    private final boolean live;
    private final int linkType;
    private final long tsMultiplier;      // 1 when libpcap gives ns, 1000 when µs
    private final MethodHandle nextEx;
    private final Arena arena;
    private final MemorySegment pcapT;    // the pcap_t*, as an FFM address
    private final MethodHandle poll;
    private final MemorySegment pollFd;   // struct pollfd {int fd; short events; short revents}, live only
    private final int pollTimeoutMillis;
    private final MemorySegment hdrOut;   // struct pcap_pkthdr ** out-parameter
    private final MemorySegment dataOut;  // const u_char ** out-parameter
    private final long hdrOutAddr, dataOutAddr;
    private Arena readBufferArena;        // offline only: the FILE's larger stdio buffer, freed after pcap_close
    private String lastError;
    private boolean closed;
    private boolean looping;              // guarded by this: close() refuses while loop() runs

    private LibpcapSource(Pcap4jLive h, long pcapTAddr, int linkType, String source, boolean live,
                          int readTimeoutMillis, Libpcap lib) throws CaptureException {
        this.pcap4j = h;
        this.lib = lib;
        this.source = source;
        this.live = live;
        this.linkType = linkType;
        this.pcapT = MemorySegment.ofAddress(pcapTAddr);
        this.tsMultiplier = precision(lib, pcapT) == PCAP_TSTAMP_PRECISION_NANO ? 1 : 1000;
        this.nextEx = lib.nextEx;
        this.arena = Arena.ofShared();
        MemorySegment outs = arena.allocate(16, 8);
        this.hdrOut = outs.asSlice(0, 8);
        this.dataOut = outs.asSlice(8, 8);
        this.hdrOutAddr = hdrOut.address();
        this.dataOutAddr = dataOut.address();
        this.poll = live ? lib.poll() : null;
        this.pollTimeoutMillis = readTimeoutMillis;
        if (live) {
            // With TPACKET_V3 (libpcap's default on Linux) the kernel only hands over a block once it
            // holds a packet, so on a quiet link a blocking pcap_next_ex never returns and the read
            // timeout never fires. Reading non-blocking and waiting in our own poll() bounds every wait
            // by the read timeout while keeping V3's batched delivery.
            int fd;
            try {
                h.setNonBlocking();
                fd = (int) lib.getSelectableFd().invokeExact(pcapT);
            } catch (Throwable t) {
                close();
                throw new CaptureException(source + ": cannot set up non-blocking reads: " + t.getMessage(), false);
            }
            if (fd < 0) {
                close();
                throw new CaptureException(source + ": libpcap gives no selectable file descriptor", false);
            }
            this.pollFd = arena.allocate(8, 4);
            pollFd.set(JAVA_INT, 0, fd);
            pollFd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, POLLIN);
        } else {
            this.pollFd = null;
        }
    }

    private static int precision(Libpcap lib, MemorySegment pcapT) {
        if (lib.getTstampPrecision == null) return 0; // libpcap < 1.5: always µs
        try {
            return (int) lib.getTstampPrecision.invokeExact(pcapT);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Opens a live capture: not promiscuous (go-metro only needs this host's own traffic),
     * {@code snaplen} bytes per packet, reads returning at least every {@code readTimeoutMillis}
     * so the loop can flush and stop on a quiet link, and a kernel buffer of {@code bufferBytes}
     * (0 keeps libpcap's default of 2 MiB).
     */
    static LibpcapSource live(String iface, int snaplen, int readTimeoutMillis, int bufferBytes)
            throws CaptureException {
        if (readTimeoutMillis <= 0) {
            // 0 means "block forever" to libpcap: the loop could never see stop on a quiet link.
            throw new IllegalArgumentException("readTimeoutMillis must be > 0, got " + readTimeoutMillis);
        }
        Libpcap lib = Libpcap.ensureLoaded();
        Pcap4jLive h = Pcap4jLive.open(iface, snaplen, readTimeoutMillis, bufferBytes);
        return new LibpcapSource(h, h.pcapT, h.linkType, "interface " + iface, true, readTimeoutMillis, lib);
    }

    /**
     * Opens a capture file (pcap or pcapng) with nanosecond timestamps, so ts are exact whatever
     * the file holds, read by pcap_next_ex ({@link PacketSource#file} maps a classic pcap instead).
     */
    static LibpcapSource file(String path) throws CaptureException {
        LibpcapSource s = openFile(path);
        s.enlargeReadBufferIfBig();
        return s;
    }

    /** {@link #file} without its larger stdio buffer (for a file read from a map instead). */
    static LibpcapSource openFile(String path) throws CaptureException {
        Path p = Path.of(path);
        // Check what libpcap would otherwise report vaguely ("unknown file format" for a directory).
        if (!Files.exists(p)) throw new CaptureException("capture file " + path + ": no such file", false);
        if (Files.isDirectory(p)) throw new CaptureException("capture file " + path + ": is a directory, not a pcap file", false);
        if (!Files.isReadable(p)) throw new CaptureException("capture file " + path + ": not readable (check its permissions)", false);
        long size;
        try {
            size = Files.size(p);
            if (size == 0) throw new CaptureException("capture file " + path + ": is empty", false);
        } catch (IOException e) {
            throw new CaptureException("capture file " + path + ": " + e.getMessage(), false);
        }
        Libpcap lib = Libpcap.ensureLoaded();
        long t;
        int dlt;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment name = a.allocateFrom(path);
            MemorySegment errbuf = a.allocate(ERRBUF);
            MemorySegment h = lib.openOfflinePrecision != null
                    ? (MemorySegment) lib.openOfflinePrecision.invokeExact(name, PCAP_TSTAMP_PRECISION_NANO, errbuf)
                    : (MemorySegment) lib.openOffline().invokeExact(name, errbuf);
            if (h.address() == 0) {
                throw new CaptureException("capture file " + path + ": not a readable pcap/pcapng file ("
                        + errbuf.getString(0).strip() + ")", false);
            }
            t = h.address();
            dlt = (int) lib.datalink.invokeExact(h);
        } catch (CaptureException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("libpcap call failed opening " + path, e);
        }
        LibpcapSource handle = new LibpcapSource(null, t, dlt, "capture file " + path, false, 0, lib);
        handle.fileSize = size;
        return handle;
    }

    /** stdio buffer of an offline handle's FILE; glibc's default is st_blksize (4 KiB). */
    static final int READ_BUFFER = Integer.getInteger("gometro.readBuffer", 256 * 1024);
    private static final int IOFBF = 0; // glibc's _IOFBF
    /** Below this the default buffer is kept: binding pcap_file and setvbuf costs ~20 ms at start-up. */
    private static final long BIG_FILE = 16L << 20;

    /**
     * libpcap reads a savefile with fread on a FILE with a 4 KiB buffer: one read(2) per ~4
     * packets of 1 KB, ~900,000 system calls for the 3.6 GB bench capture. A 256 KiB buffer
     * makes that ~14,000; the same bytes are copied either way. glibc allows setvbuf after the
     * header was read: it seeks back over what was buffered and frees its own buffer. If
     * anything is missing, the default buffer stays.
     */
    private long fileSize;

    void enlargeReadBufferIfBig() {
        if (READ_BUFFER <= 0 || fileSize < BIG_FILE) return;
        try {
            MemorySegment fp = (MemorySegment) lib.file().invokeExact(pcapT);
            if (fp.address() == 0) return;
            Arena a = Arena.ofShared();
            MemorySegment buf = a.allocate(READ_BUFFER, 4096);
            if ((int) lib.setvbuf().invokeExact(fp, buf, IOFBF, (long) READ_BUFFER) == 0) readBufferArena = a;
            else a.close();
        } catch (Throwable t) {
            throw new IllegalStateException("setvbuf failed on " + source, t);
        }
    }

    @Override public void setFilter(String bpf) throws CaptureException {
        if (closed) throw new IllegalStateException(source + " is closed");
        if (pcap4j != null) {
            pcap4j.setFilter(bpf, source);
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment prog = a.allocate(16, 8);
            compile(bpf, prog);
            int rc = (int) lib.setfilter().invokeExact(pcapT, prog);
            lib.freecode().invokeExact(prog);
            if (rc != 0) {
                throw new CaptureException("cannot install capture filter \"" + bpf + "\" on " + source + ": "
                        + nativeError(), false);
            }
        } catch (CaptureException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("libpcap call failed setting a filter on " + source, e);
        }
    }

    /**
     * Compiles (optimised) {@code bpf} for this handle's link type into {@code prog}, a struct
     * bpf_program { u_int bf_len; struct bpf_insn *bf_insns; } (16 bytes on LP64); the caller
     * frees it with pcap_freecode.
     */
    void compile(String bpf, MemorySegment prog) throws CaptureException {
        try (Arena a = Arena.ofConfined()) {
            // netmask PCAP_NETMASK_UNKNOWN: only "ip broadcast" needs it, and files have no interface.
            if ((int) lib.compile().invokeExact(pcapT, prog, a.allocateFrom(bpf), 1, 0xffffffff) != 0) {
                throw new CaptureException("invalid capture filter \"" + bpf + "\" on " + source + ": "
                        + nativeError(), false);
            }
        } catch (CaptureException e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("libpcap call failed compiling a filter on " + source, e);
        }
    }

    Libpcap lib() { return lib; }
    String source() { return source; }

    /** pcap_geterr for an FFM-opened handle. */
    private String nativeError() {
        try {
            MemorySegment m = (MemorySegment) lib.geterr().invokeExact(pcapT);
            return m.reinterpret(ERRBUF).getString(0).strip();
        } catch (Throwable t) {
            return "(pcap_geterr failed: " + t + ")";
        }
    }

    @Override public int linkType() { return linkType; }

    @Override public boolean isLive() { return live; }

    @Override public End loop(PacketHandler handler, BooleanSupplier stop) {
        synchronized (this) {
            if (closed) throw new IllegalStateException(source + " is closed");
            if (looping) throw new IllegalStateException(source + ": loop is already running");
            looping = true;
        }
        try {
            return read(handler, stop);
        } finally {
            synchronized (this) { looping = false; }
        }
    }

    private End read(PacketHandler handler, BooleanSupplier stop) {
        final MethodHandle next = nextEx;
        final MemorySegment all = ALL;
        final long p = pcapT.address();
        final long hoa = hdrOutAddr, doa = dataOutAddr, mult = tsMultiplier;
        boolean delivered = false;
        while (!stop.getAsBoolean()) {
            int rc;
            try {
                rc = (int) next.invokeExact(p, hoa, doa);
            } catch (Throwable t) {
                lastError = "pcap_next_ex call failed: " + t;
                return End.ERROR;
            }
            if (rc == 1) {
                long hdr = all.get(JAVA_LONG, hoa);
                long data = all.get(JAVA_LONG, doa);
                // struct pcap_pkthdr on LP64: timeval{long sec; long usec-or-nsec}, u32 caplen, u32 len.
                long sec = all.get(JAVA_LONG, hdr);
                long frac = all.get(JAVA_LONG, hdr + 8);
                int caplen = all.get(JAVA_INT, hdr + 16);
                int len = all.get(JAVA_INT, hdr + 20);
                if (!handler.onPacket(all, data, caplen, len, sec * 1_000_000_000L + frac * mult)) return End.YIELD;
                delivered = true;
            } else if (rc == 0) {
                // Live, nothing buffered. After packets: return, so the caller's clock moves on even
                // under a steady trickle that never leaves poll() waiting. Else wait up to the read
                // timeout: a timeout is a quiet link (return); a ready fd (or EINTR) loops back to read.
                if (delivered) return End.YIELD;
                int ready;
                try {
                    ready = (int) poll.invokeExact(pollFd, 1L, pollTimeoutMillis);
                } catch (Throwable t) {
                    lastError = source + ": poll failed: " + t;
                    return End.ERROR;
                }
                if (ready == 0) return End.YIELD;
            } else if (rc == -2) {
                // PCAP_ERROR_BREAK: end of a savefile (or pcap_breakloop).
                return live ? End.STOPPED : End.EOF;
            } else {
                String err = pcap4j != null ? pcap4j.error() : nativeError();
                lastError = source + ": " + (err == null || err.isBlank() ? "pcap_next_ex returned " + rc : err.strip());
                return End.ERROR;
            }
        }
        return End.STOPPED;
    }

    @Override public String lastError() { return lastError; }

    @Override public Stats stats() {
        if (!live || closed) return new Stats(0, 0, 0);
        return pcap4j.stats();
    }

    @Override public void close() {
        synchronized (this) {
            // Never free the pcap_t under a running read: loop() holds `looping` from entry to return.
            if (looping) throw new IllegalStateException(source + ": close while the capture loop runs; stop it first");
            if (closed) return;
            closed = true;
        }
        arena.close();
        if (pcap4j != null) {
            pcap4j.close();
        } else {
            try {
                lib.close.invokeExact(pcapT);
            } catch (Throwable t) {
                throw new IllegalStateException("pcap_close failed on " + source, t);
            } finally {
                // fclose is done with the buffer now
                if (readBufferArena != null) readBufferArena.close();
            }
        }
    }

    @Override public String toString() { return "LibpcapSource[" + source + "]"; }
}
