package io.gometro.testutil;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A classic pcap file (not pcapng) held in memory: read, transform, write.
 *
 * <p>Reads both byte orders and both timestamp resolutions (magic 0xa1b2c3d4 for
 * microseconds, 0xa1b23c4d for nanoseconds); timestamps are kept as nanoseconds since the
 * epoch either way. Writes in the chosen order and resolution.
 *
 * <pre>{@code
 * PcapFile f = PcapFile.resource("lab/v4-ethernet-bulk.pcap");
 * for (PcapFile.Record r : f.records()) view.decode(MemorySegment.ofArray(r.data()), 0, r.caplen(), f.linkType());
 * Captures.toSll(f).write(tmp.resolve("scp-sll.pcap"));
 * }</pre>
 *
 * @param linkType   the LINKTYPE_ value of the header (see {@code io.gometro.decode.LinkType})
 * @param snaplen    the snapshot length of the header
 * @param nanos      true for nanosecond timestamps in the file
 * @param byteOrder  the order of the file's header fields
 * @param records    the packets, in file order
 */
public record PcapFile(int linkType, int snaplen, boolean nanos, ByteOrder byteOrder, List<Record> records) {

    public static final int MAGIC_MICROS = 0xa1b2c3d4;
    public static final int MAGIC_NANOS = 0xa1b23c4d;

    /**
     * One captured packet.
     *
     * @param tsNanos nanoseconds since the epoch
     * @param origLen the length of the packet on the wire
     * @param data    the captured bytes ({@link #caplen()} of them)
     */
    public record Record(long tsNanos, int origLen, byte[] data) {
        /** Captured length: {@code data().length}. */
        public int caplen() { return data.length; }

        /** A copy with another timestamp. */
        public Record withTs(long ts) { return new Record(ts, origLen, data); }
    }

    public PcapFile {
        records = List.copyOf(records);
    }

    /** A little-endian microsecond file, the most common shape. */
    public PcapFile(int linkType, int snaplen, List<Record> records) {
        this(linkType, snaplen, false, ByteOrder.LITTLE_ENDIAN, records);
    }

    /** The same header with other records. */
    public PcapFile withRecords(int linkType, List<Record> newRecords) {
        int snap = snaplen;
        for (Record r : newRecords) snap = Math.max(snap, r.caplen());
        return new PcapFile(linkType, snap, nanos, byteOrder, newRecords);
    }

    /** The same records written with another resolution and byte order. */
    public PcapFile withFormat(boolean nanos, ByteOrder order) {
        return new PcapFile(linkType, snaplen, nanos, order, records);
    }

    /** Reads one of go-metro's public captures from ../shared/fixtures (see {@link Shared}). */
    public static PcapFile fixture(String name) {
        try {
            return read(Shared.fixture(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads a capture the project made, from {@code src/test/resources/pcap/} (e.g. {@code lab/v4-ethernet-rr.pcap}). */
    public static PcapFile resource(String name) {
        try (InputStream in = PcapFile.class.getResourceAsStream("/pcap/" + name)) {
            if (in == null) throw new IllegalArgumentException("no test resource /pcap/" + name);
            return parse(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static PcapFile read(Path path) throws IOException {
        return parse(Files.readAllBytes(path));
    }

    /**
     * Parses a whole pcap file. A record cut short at the end of the file (a capture that
     * was still being written) is dropped, as tcpdump does.
     *
     * @throws IllegalArgumentException on a bad magic or an impossible record header
     */
    public static PcapFile parse(byte[] file) {
        if (file.length < 24) throw new IllegalArgumentException("pcap: " + file.length + " bytes, need a 24-byte header");
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt(0);
        ByteOrder order = ByteOrder.LITTLE_ENDIAN;
        if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
            order = ByteOrder.BIG_ENDIAN;
            b.order(order);
            magic = b.getInt(0);
        }
        if (magic != MAGIC_MICROS && magic != MAGIC_NANOS) {
            throw new IllegalArgumentException(String.format("pcap: bad magic 0x%08x (pcapng is not supported)", b.getInt(0)));
        }
        boolean nanos = magic == MAGIC_NANOS;
        int snaplen = b.getInt(16);
        // The high bits of the link type field may carry FCS flags (pcap-savefile(5)).
        int linkType = b.getInt(20) & 0x0fff_ffff;
        List<Record> recs = new ArrayList<>();
        int p = 24;
        while (file.length - p >= 16) {
            long sec = b.getInt(p) & 0xffff_ffffL;
            long frac = b.getInt(p + 4) & 0xffff_ffffL;
            int incl = b.getInt(p + 8);
            int orig = b.getInt(p + 12);
            if (incl < 0 || incl > 0x1000_0000) throw new IllegalArgumentException("pcap: record at byte " + p + " has caplen " + incl);
            if (file.length - p - 16 < incl) break;
            byte[] data = new byte[incl];
            System.arraycopy(file, p + 16, data, 0, incl);
            recs.add(new Record(sec * 1_000_000_000L + (nanos ? frac : frac * 1000), orig, data));
            p += 16 + incl;
        }
        return new PcapFile(linkType, snaplen, nanos, order, recs);
    }

    /** The file's bytes. Microsecond files truncate timestamps to whole microseconds. */
    public byte[] toBytes() {
        int size = 24;
        for (Record r : records) size += 16 + r.caplen();
        ByteBuffer b = ByteBuffer.allocate(size).order(byteOrder);
        b.putInt(nanos ? MAGIC_NANOS : MAGIC_MICROS).putShort((short) 2).putShort((short) 4)
                .putInt(0).putInt(0).putInt(snaplen).putInt(linkType);
        for (Record r : records) {
            long sec = Math.floorDiv(r.tsNanos(), 1_000_000_000L);
            long ns = Math.floorMod(r.tsNanos(), 1_000_000_000L);
            b.putInt((int) sec).putInt((int) (nanos ? ns : ns / 1000))
                    .putInt(r.caplen()).putInt(r.origLen()).put(r.data());
        }
        return b.array();
    }

    public void write(Path path) throws IOException {
        Files.write(path, toBytes());
    }
}
