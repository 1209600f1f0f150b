package io.gometro.capture;

import io.gometro.decode.LinkType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.function.Supplier;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import static java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED;
import static java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED;

/**
 * A classic pcap savefile read in place from a read-only memory map: a 24-byte file header,
 * then records of a 16-byte header (seconds, micro- or nanoseconds, captured length, wire
 * length, in the file's byte order) followed by the captured bytes.
 *
 * <p>Why: pcap_next_ex copies every packet twice, from the page cache into the FILE's buffer
 * and from there into libpcap's; over the bench's 3.3 M packet, 3.4 GB capture those copies
 * (kernel and libc) were ~45% of the reading thread's time. The map hands the page cache
 * itself to the decoder. libpcap still opens the file first (it validates the header, names
 * the link type, and reads every other format, pcapng among them, through pcap_next_ex).
 *
 * <p>Only version 2.4 files of the link types go-metro decodes are mapped (older versions swap
 * the two lengths, and a few link types allow longer records): anything else goes to libpcap.
 * Records are checked as libpcap 1.10 checks them (sf-pcap.c): a captured length above
 * {@link #MAX_CAPLEN} is an error; one above the file's snapshot length is clipped to it (the
 * rest of the record is skipped); a record cut short by the end of the file is an error after
 * the records before it; the same words as libpcap's.
 *
 * <p>Pages of the map count in the process's RSS once touched, so every {@link #RELEASE} bytes
 * the pages behind the record being read are dropped from the mapping (madvise MADV_DONTNEED:
 * they stay in the page cache); a replay's RSS stays what it was with pcap_next_ex's buffers.
 * Not thread-safe: one reader.
 */
final class MappedSavefile implements AutoCloseable {
    /** libpcap's MAXIMUM_SNAPLEN, the largest record it reads for the link types we decode. */
    static final int MAX_CAPLEN = 262_144;
    private static final int FILE_HEADER = 24, RECORD_HEADER = 16;
    /** Bytes read between two releases of the pages behind: the RSS the map may add. */
    static final long RELEASE = 1 << 20;
    /** Releases start and end on 64 KiB: a page boundary for 4 KiB and 64 KiB pages alike (madvise needs one). */
    private static final long RELEASE_MASK = ~0xFFFFL;
    private static final int MADV_DONTNEED = 4;
    private static final int MAGIC_US = 0xa1b2c3d4, MAGIC_NS = 0xa1b23c4d;

    private final Arena arena;
    private final long base;      // address of the map
    // "swap": the file was written in the other byte order; fields are read in native order and swapped by
    // hand (as decode does: C1 turned big-endian layouts into a call per field).
    private final long size;
    private final boolean swap;   // file byte order differs from native
    private final long fracToNanos;
    private final int snapshot;
    private final Supplier<MethodHandle> madvise; // libc madvise(void *, size_t, int), bound at the first release
    private long off = FILE_HEADER;
    private long released;        // file offset below which the pages were dropped, 64 KiB-aligned
    private boolean releasing = true; // off after a failed madvise: RSS then grows as with any map

    // The record read by the last next() that returned 1.
    long data;
    int caplen;
    int wireLen;
    long tsNanos;
    /** Why the last next() returned -1. */
    String error;

    private MappedSavefile(Arena arena, MemorySegment map, boolean swap, boolean nanos, int snapshot,
                           Supplier<MethodHandle> madvise) {
        this.arena = arena;
        this.madvise = madvise;
        this.base = map.address();
        this.size = map.byteSize();
        this.swap = swap;
        this.fracToNanos = nanos ? 1 : 1000;
        this.snapshot = snapshot;
    }

    /**
     * Maps {@code file} if it is a regular file holding a version 2.4 classic pcap header (either
     * byte order, µs or ns) of link type {@code linkType}, one go-metro decodes; null for anything
     * else (pcapng, older versions, the modified-pcap variants, a pipe).
     */
    static MappedSavefile openIfClassic(Path file, int linkType, Supplier<MethodHandle> madvise) throws IOException {
        // libpcap bounds every decoded link type's records by MAX_CAPLEN (262 144 bytes).
        if (!LinkType.isDecoded(linkType) || !Files.isRegularFile(file)) return null;
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(file)) {
            long size = ch.size();
            if (size < FILE_HEADER) { arena.close(); return null; }
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            int raw = map.get(JAVA_INT_UNALIGNED, 0);
            boolean swap;
            if (raw == MAGIC_US || raw == MAGIC_NS) swap = false;
            else if (Integer.reverseBytes(raw) == MAGIC_US || Integer.reverseBytes(raw) == MAGIC_NS) swap = true;
            else { arena.close(); return null; }
            boolean nanos = (swap ? Integer.reverseBytes(raw) : raw) == MAGIC_NS;
            short major = map.get(JAVA_SHORT_UNALIGNED, 4), minor = map.get(JAVA_SHORT_UNALIGNED, 6);
            if (swap) { major = Short.reverseBytes(major); minor = Short.reverseBytes(minor); }
            if (major != 2 || minor != 4) { arena.close(); return null; }
            int snaplen = map.get(JAVA_INT_UNALIGNED, 16);
            if (swap) snaplen = Integer.reverseBytes(snaplen);
            // pcap_adjust_snapshot: only 0 and lengths above INT_MAX mean "the maximum".
            int snapshot = snaplen == 0 || snaplen < 0 ? MAX_CAPLEN : snaplen;
            return new MappedSavefile(arena, map, swap, nanos, snapshot, madvise);
        } catch (IOException | RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    private int u32(MemorySegment all, long at) {
        int v = all.get(JAVA_INT_UNALIGNED, at);
        return swap ? Integer.reverseBytes(v) : v;
    }

    /**
     * Reads the next record: 1 and the fields set, 0 at the end of the file, -1 when the file is
     * damaged ({@link #error} says how; the records before it were good).
     *
     * @param all a segment spanning all memory (the caller's), read at absolute addresses
     */
    int next(MemorySegment all) {
        long left = size - off;
        if (left == 0) return 0;
        if (left < RECORD_HEADER) {
            error = "truncated dump file; tried to read " + RECORD_HEADER + " header bytes, only got " + left;
            return -1;
        }
        long h = base + off;
        // Signed, as libpcap 1.10 reads them (bpf_int32): seconds past 2038 come out negative either way.
        long sec = u32(all, h);
        long frac = u32(all, h + 4);
        int incl = u32(all, h + 8);
        int orig = u32(all, h + 12);
        if (incl < 0 || incl > MAX_CAPLEN) {
            // libpcap's words, so the same file reads the same either way
            error = "invalid packet capture length " + Integer.toUnsignedString(incl) + ", bigger than "
                    + (Integer.compareUnsigned(incl, snapshot) > 0 ? "snaplen of " + snapshot : "maximum of " + MAX_CAPLEN);
            return -1;
        }
        if (left - RECORD_HEADER < incl) {
            // libpcap reads the first snapshot bytes, then discards the rest: it names what the read that failed asked for
            long got = left - RECORD_HEADER;
            int kept = Math.min(incl, snapshot);
            error = "truncated dump file; tried to read " + (got < kept ? kept : incl) + " captured bytes, only got " + got;
            return -1;
        }
        data = h + RECORD_HEADER;
        caplen = Math.min(incl, snapshot);
        wireLen = orig;
        tsNanos = sec * 1_000_000_000L + frac * fracToNanos;
        if (off - released >= RELEASE && releasing) release(off & RELEASE_MASK); // never the page of the record handed out
        off += RECORD_HEADER + incl;
        return 1;
    }

    /** File offset below which the pages have been dropped from the map. */
    long released() { return released; }

    private void release(long upTo) {
        try {
            int rc = (int) madvise.get().invokeExact(base + released, upTo - released, MADV_DONTNEED);
            if (rc == 0) released = upTo;
            else releasing = false; // not once per record from here on
        } catch (Throwable t) {
            throw new IllegalStateException("madvise failed on a capture file map", t);
        }
    }

    @Override
    public void close() {
        arena.close();
    }
}
