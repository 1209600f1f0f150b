package io.gometro.capture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** Bad capture files, each opened with real libpcap: one clear message naming the file. */
class CaptureErrorsIT {
    @TempDir Path dir;

    private static CaptureException openFails(Path p) {
        CaptureException e = assertThrows(CaptureException.class, () -> PacketSource.file(p.toString()));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertFalse(e.isPermission());
        return e;
    }

    @Test void missingFile() {
        assertTrue(openFails(dir.resolve("nope.pcap")).getMessage().contains("no such file"));
    }

    @Test void directory() {
        assertTrue(openFails(dir).getMessage().contains("directory"));
    }

    @Test void emptyFile() throws Exception {
        Path p = Files.createFile(dir.resolve("empty.pcap"));
        assertTrue(openFails(p).getMessage().contains("empty"));
    }

    @Test void randomBytes() throws Exception {
        byte[] junk = new byte[4096];
        new Random(42).nextBytes(junk);
        Path p = Files.write(dir.resolve("junk.pcap"), junk);
        String m = openFails(p).getMessage();
        // libpcap: "unknown file format"
        assertTrue(m.contains("not a readable pcap"), m);
        assertTrue(m.contains("unknown file format"), m);
    }

    @Test void shorterThanAFileHeader() throws Exception {
        byte[] head = Arrays.copyOf(Files.readAllBytes(Path.of(CaptureOfflineIT.TCP)), 10);
        Path p = Files.write(dir.resolve("stub.pcap"), head);
        assertTrue(openFails(p).getMessage().contains("truncated"), "libpcap says the header is truncated");
    }

    /**
     * A file cut in the middle of a record: libpcap delivers every whole record before the cut,
     * then pcap_next_ex returns -1 with "truncated dump file; tried to read N captured bytes,
     * only got M" — ERROR, not EOF, so a damaged replay is reported.
     */
    @Test void truncatedMidRecordDeliversWholeRecordsThenError() throws Exception {
        byte[] whole = Files.readAllBytes(Path.of(CaptureOfflineIT.SCP));
        int cut = 100_000;
        int[] before = wholeRecordsBefore(whole, cut);
        assertTrue(before[1] < cut, "the cut falls inside a record");
        Path p = Files.write(dir.resolve("cut.pcap"), Arrays.copyOf(whole, cut));
        try (PacketSource h = PacketSource.file(p.toString())) {
            Counting c = new Counting(true);
            assertEquals(PacketSource.End.ERROR, h.loop(c, () -> false));
            assertEquals(before[0], c.packets);
            String err = h.lastError();
            assertNotNull(err);
            assertTrue(err.contains(p.toString()) && err.contains("truncated"), err);
        }
    }

    /** Cut inside a record header (16 bytes): still ERROR after the whole records. */
    @Test void truncatedMidHeader() throws Exception {
        byte[] whole = Files.readAllBytes(Path.of(CaptureOfflineIT.SCP));
        int[] r = wholeRecordsBefore(whole, 200_000);
        int cut = r[1] + 7; // 7 bytes into the next record's header
        Path p = Files.write(dir.resolve("cuthdr.pcap"), Arrays.copyOf(whole, cut));
        try (PacketSource h = PacketSource.file(p.toString())) {
            Counting c = new Counting(false);
            assertEquals(PacketSource.End.ERROR, h.loop(c, () -> false), "what libpcap does with a cut header");
            assertEquals(r[0], c.packets);
            assertTrue(h.lastError().contains("truncated"), h.lastError());
        }
    }

    /** Cut exactly between two records: indistinguishable from a shorter capture, so EOF. */
    @Test void cutOnARecordBoundaryIsEof() throws Exception {
        byte[] whole = Files.readAllBytes(Path.of(CaptureOfflineIT.SCP));
        int[] r = wholeRecordsBefore(whole, 300_000);
        Path p = Files.write(dir.resolve("cutb.pcap"), Arrays.copyOf(whole, r[1]));
        try (PacketSource h = PacketSource.file(p.toString())) {
            Counting c = new Counting(false);
            assertEquals(PacketSource.End.EOF, h.loop(c, () -> false));
            assertEquals(r[0], c.packets);
            assertNull(h.lastError());
        }
    }

    /** Walks the classic pcap records (little-endian file): {records wholly before limit, end offset of the last}. */
    private static int[] wholeRecordsBefore(byte[] file, int limit) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0xa1b2c3d4, b.getInt(0), "fixture is a little-endian µs pcap");
        int off = 24, n = 0;
        while (off + 16 <= file.length) {
            int incl = b.getInt(off + 8);
            int end = off + 16 + incl;
            if (end > limit) break;
            off = end;
            n++;
        }
        return new int[] {n, off};
    }
}
