package io.gometro.capture;

import io.gometro.testutil.PcapFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A classic pcap read from the map gives exactly what libpcap's pcap_next_ex gives for the same
 * file (the reference: the same handle opened with the map off), record by record: timestamp,
 * lengths and bytes, in both byte orders and both timestamp precisions, with and without a filter,
 * and for the damage libpcap reports. BrokenCaptureIT covers the same damage through the whole
 * analysis command.
 */
class MappedSavefileIT {
    @TempDir Path dir;

    record Rec(long ts, int caplen, int wireLen, int bytesHash) {}

    /** Every record as delivered, and how the read ended. */
    record Read(List<Rec> records, PacketSource.End end, String error) {}

    static Read read(Path file, boolean map, String filter) throws CaptureException {
        try (PacketSource h = (map ? PacketSource.file(file.toString()) : LibpcapSource.file(file.toString()))) {
            // Else the comparisons below would compare libpcap with itself.
            boolean classic = MappedSavefileIT.isClassic24(file);
            assertEquals(map && classic, (h instanceof MappedFileSource), file + (map ? " is read from the map" : " is read by libpcap"));
            if (filter != null) h.setFilter(filter);
            List<Rec> out = new ArrayList<>();
            PacketSource.End end = h.loop(new PacketHandler() {
                @Override public boolean onPacket(MemorySegment seg, long offset, int caplen, int wireLen, long ts) {
                    byte[] b = new byte[caplen];
                    for (int i = 0; i < caplen; i++) b[i] = seg.get(ValueLayout.JAVA_BYTE, offset + i);
                    out.add(new Rec(ts, caplen, wireLen, Arrays.hashCode(b)));
                    return true;
                }
            }, () -> false);
            return new Read(out, end, h.lastError());
        }
    }

    /** A version 2.4 classic pcap header, by its own bytes (not the reader under test). */
    static boolean isClassic24(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] h = in.readNBytes(8);
            if (h.length < 8) return false;
            int le = ByteBuffer.wrap(h).order(ByteOrder.LITTLE_ENDIAN).getInt(0);
            ByteOrder o = le == 0xa1b2c3d4 || le == 0xa1b23c4d ? ByteOrder.LITTLE_ENDIAN
                    : Integer.reverseBytes(le) == 0xa1b2c3d4 || Integer.reverseBytes(le) == 0xa1b23c4d ? ByteOrder.BIG_ENDIAN : null;
            if (o == null) return false;
            ByteBuffer b = ByteBuffer.wrap(h).order(o);
            return b.getShort(4) == 2 && b.getShort(6) == 4;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void assertSame(Path file, String filter) throws CaptureException {
        Read ref = read(file, false, filter), mapped = read(file, true, filter);
        assertEquals(PacketSource.End.EOF, ref.end(), ref.error());
        assertFalse(ref.records().isEmpty(), "the reference read something");
        assertEquals(ref, mapped, file + " filter " + filter);
    }

    Path write(String name, PcapFile f) throws Exception {
        Path p = dir.resolve(name);
        f.write(p);
        return p;
    }

    @Test
    void everyFormatGivesWhatLibpcapGives() throws Exception {
        PcapFile scp = PcapFile.fixture("test_scp.pcap");
        for (boolean nanos : new boolean[] {false, true}) {
            for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                Path p = write("scp-" + nanos + "-" + order + ".pcap", scp.withFormat(nanos, order));
                assertSame(p, null);
            }
        }
        assertSame(io.gometro.testutil.Shared.fixture("test_tcp.pcap"), null);
    }

    @Test
    void aFilterGivesWhatLibpcapsFilterGives() throws Exception {
        Path scp = io.gometro.testutil.Shared.fixture("test_scp.pcap");
        Read all = read(scp, true, null);
        for (String f : List.of("tcp and src port 22", "tcp[tcpflags] & tcp-push != 0", "greater 1000")) {
            assertSame(scp, f);
            int n = read(scp, true, f).records().size();
            assertTrue(n > 0 && n < all.records().size(), f + " selects some packets: " + n);
        }
    }

    @Test
    void recordsAboveTheSnapshotLengthAreClippedAsLibpcapClipsThem() throws Exception {
        byte[] b = PcapFile.fixture("test_tcp.pcap").toBytes();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 64);
        Path p = dir.resolve("snap64.pcap");
        Files.write(p, b);
        assertSame(p, null);
        assertTrue(read(p, true, null).records().stream().allMatch(r -> r.caplen() <= 64));
    }

    @Test
    void damageEndsTheReadAfterTheGoodRecordsAsLibpcapDoes() throws Exception {
        PcapFile tcp = PcapFile.fixture("test_tcp.pcap");
        byte[] whole = tcp.toBytes();
        int start = 24;
        for (int i = 0; i < 5; i++) start += 16 + tcp.records().get(i).caplen();
        // cut in record 5's data, in its header; a captured length beyond any maximum
        byte[] absurd = whole.clone();
        ByteBuffer.wrap(absurd).order(ByteOrder.LITTLE_ENDIAN).putInt(start + 8, 0x7fff_0000);
        for (byte[] bytes : List.of(Arrays.copyOf(whole, start + 16 + 10), Arrays.copyOf(whole, start + 5), absurd)) {
            Path p = dir.resolve("damaged.pcap");
            Files.write(p, bytes);
            Read ref = read(p, false, null), mapped = read(p, true, null);
            assertEquals(PacketSource.End.ERROR, mapped.end());
            assertEquals(ref.end(), mapped.end());
            assertEquals(ref.records(), mapped.records(), "the records before the damage");
            assertEquals(5, mapped.records().size());
            assertEquals(ref.error(), mapped.error(), "libpcap's words");
        }
    }

    @Test
    void pcapngIsNotMappedButStillRead() throws Exception {
        Path ng = io.gometro.testutil.Shared.fixturePcapng("test_tcp.pcap");
        assertNull(MappedSavefile.openIfClassic(ng, 1, () -> null));
        assertEquals(read(io.gometro.testutil.Shared.fixture("test_tcp.pcap"), true, null).records(),
                read(ng, true, null).records());
    }

    @Test
    void thePagesBehindAreDroppedAsTheReadGoesOn() throws Exception {
        // ~7 MB: ten copies of the scp capture, one after the other in time
        PcapFile scp = PcapFile.fixture("test_scp.pcap");
        List<PcapFile.Record> recs = new ArrayList<>();
        for (int copy = 0; copy < 10; copy++)
            for (PcapFile.Record r : scp.records()) recs.add(r.withTs(r.tsNanos() + copy * 10_000_000_000L));
        Path p = write("scp-x10.pcap", scp.withRecords(scp.linkType(), recs));
        long size = Files.size(p);
        assertSame(p, null);
        Libpcap lib = Libpcap.ensureLoaded();
        try (MappedSavefile m = MappedSavefile.openIfClassic(p, 1, lib::madvise)) {
            MemorySegment all = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);
            int n = 0;
            while (m.next(all) == 1) {
                n++;
                assertTrue(m.data >= 0 && m.caplen > 0);
                // what was released is behind the record handed out, and never more than RELEASE + a page behind it
                assertTrue(m.released() <= m.data - 16, "released " + m.released() + " past record at " + m.data);
            }
            assertEquals(recs.size(), n);
            assertTrue(m.released() > size - MappedSavefile.RELEASE - 70_000,
                    "released " + m.released() + " of " + size + " bytes");
        }
    }

    @Test
    void aFileCutShortWhileBeingReadEndsTheReadWithAnError() throws Exception {
        // Pages of a map past a new end of file raise SIGBUS; the JVM turns that into an error the loop reports.
        PcapFile scp = PcapFile.fixture("test_scp.pcap");
        Path p = write("shrinking.pcap", scp);
        try (PacketSource h = PacketSource.file(p.toString())) {
            assertTrue((h instanceof MappedFileSource));
            long[] seen = {0};
            PacketSource.End end = h.loop(new PacketHandler() {
                @Override public boolean onPacket(MemorySegment seg, long offset, int caplen, int wireLen, long ts) {
                    if (seen[0]++ == 0) {
                        try (var ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
                            ch.truncate(200);
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }
                    return true;
                }
            }, () -> false);
            assertEquals(PacketSource.End.ERROR, end);
            assertTrue(h.lastError().contains(p.toString()) && h.lastError().contains("changed"), h.lastError());
            assertTrue(seen[0] >= 1 && seen[0] < scp.records().size(), "stopped early: " + seen[0]);
        }
    }

    /** Reads with and without the map; both must end alike, with the same records and libpcap's words. */
    static Read assertSameEnd(Path p) throws CaptureException {
        Read ref = read(p, false, null), mapped = read(p, true, null);
        assertEquals(ref, mapped, p.toString());
        return mapped;
    }

    @Test
    void theEdgesOfLibpcapsRecordRulesReadTheSame() throws Exception {
        PcapFile tcp = PcapFile.fixture("test_tcp.pcap");
        byte[] whole = tcp.toBytes();
        int start = 24;
        for (int i = 0; i < 5; i++) start += 16 + tcp.records().get(i).caplen();
        int rec5 = tcp.records().get(5).caplen();
        assertTrue(rec5 > 100, "record 5 is long enough to clip: " + rec5);

        // A record cut short past the snapshot length it is clipped to.
        byte[] clippedCut = Arrays.copyOf(whole, start + 16 + 80);
        ByteBuffer.wrap(clippedCut).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 64);
        Files.write(dir.resolve("clipped-cut.pcap"), clippedCut);
        assertEquals(PacketSource.End.ERROR, assertSameEnd(dir.resolve("clipped-cut.pcap")).end());
        // ... and cut short before it.
        byte[] clippedShort = Arrays.copyOf(whole, start + 16 + 30);
        ByteBuffer.wrap(clippedShort).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 64);
        Files.write(dir.resolve("clipped-short.pcap"), clippedShort);
        assertEquals(PacketSource.End.ERROR, assertSameEnd(dir.resolve("clipped-short.pcap")).end());

        // A snapshot length above the maximum is kept as it is: a record above the maximum but
        // below it is "bigger than maximum", not "bigger than snaplen".
        byte[] bigSnap = whole.clone();
        ByteBuffer.wrap(bigSnap).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 1_000_000).putInt(start + 8, 300_000);
        Files.write(dir.resolve("big-snap.pcap"), bigSnap);
        Read r = assertSameEnd(dir.resolve("big-snap.pcap"));
        assertTrue(r.error().contains("bigger than maximum of 262144"), r.error());

        // Seconds past 2038 (the top bit of the 32-bit field set).
        List<PcapFile.Record> late = new ArrayList<>();
        for (PcapFile.Record x : tcp.records()) late.add(x.withTs(x.tsNanos() + 2_500_000_000L * 1_000_000_000L));
        Path lateFile = write("after-2038.pcap", tcp.withRecords(tcp.linkType(), late));
        assertEquals(PacketSource.End.EOF, assertSameEnd(lateFile).end());
    }

    @Test
    void olderVersionsAreLeftToLibpcap() throws Exception {
        byte[] b = PcapFile.fixture("test_tcp.pcap").toBytes();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort(6, (short) 3); // version 2.3: caplen and len swapped
        Path p = dir.resolve("v23.pcap");
        Files.write(p, b);
        assertNull(MappedSavefile.openIfClassic(p, 1, () -> null));
        assertSameEnd(p);
        assertNull(MappedSavefile.openIfClassic(io.gometro.testutil.Shared.fixture("test_tcp.pcap"), 147, () -> null),
                "a link type go-metro does not decode");
    }
}
