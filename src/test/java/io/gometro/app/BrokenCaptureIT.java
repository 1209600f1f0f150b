package io.gometro.app;

import io.gometro.app.commands.Analyze;
import io.gometro.testutil.PcapFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damaged capture files through the analysis command, in-process: each gives either the
 * flows up to the damage plus exactly one warning line, or exactly one error line naming
 * the file and exit 1. Never a stack trace, never a hang.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class BrokenCaptureIT {
    @TempDir Path dir;

    private static final PcapFile HTTP = PcapFile.fixture("test_tcp.pcap");

    record Result(int code, String out, List<String> err) {}

    private Result analyze(Path pcap) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        int code;
        try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
             PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
            code = Analyze.run(pcap.toString(), List.of(), true, null, o, e);
        }
        String errText = err.toString(StandardCharsets.UTF_8);
        assertFalse(errText.contains("Exception"), "stack trace or exception on err:\n" + errText);
        assertFalse(errText.contains("\tat "), "stack trace on err:\n" + errText);
        List<String> lines = errText.lines().filter(l -> !l.isBlank()).toList();
        return new Result(code, out.toString(StandardCharsets.UTF_8), lines);
    }

    private Path write(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** What a clean file holding only these records gives: the reference for "flows up to the damage". */
    private String cleanOutput(List<PcapFile.Record> records) throws IOException {
        Result r = analyze(write("clean-" + records.size() + ".pcap", HTTP.withRecords(HTTP.linkType(), records).toBytes()));
        assertEquals(0, r.code());
        assertEquals(List.of(), r.err());
        return r.out();
    }

    private void assertOneError(Result r, Path file) {
        assertEquals(1, r.code(), "exit code; err: " + r.err());
        assertEquals(1, r.err().size(), "exactly one error line: " + r.err());
        assertTrue(r.err().get(0).contains(file.toString()), "the error names the file: " + r.err().get(0));
    }

    private void assertFlowsPlusOneWarning(Result r, String expectedOut) {
        assertEquals(0, r.code(), "exit code; err: " + r.err());
        assertEquals(1, r.err().size(), "exactly one warning line: " + r.err());
        assertEquals(expectedOut, r.out(), "flows up to the damage");
    }

    @Test
    void truncatedRecordGivesTheFlowsBeforeItAndOneWarning() throws IOException {
        byte[] whole = HTTP.toBytes();
        List<PcapFile.Record> recs = HTTP.records();
        // Cut in the middle of record 11's data (the 12th packet, 447 bytes).
        int start = 24;
        for (int i = 0; i < 11; i++) start += 16 + recs.get(i).caplen();
        Path cut = write("cut-data.pcap", Arrays.copyOf(whole, start + 16 + 100));
        Result r = analyze(cut);
        assertFlowsPlusOneWarning(r, cleanOutput(recs.subList(0, 11)));
        assertTrue(r.err().get(0).contains(cut.toString()), r.err().get(0));

        // Cut inside a record header.
        Path cutHeader = write("cut-header.pcap", Arrays.copyOf(whole, start + 7));
        assertFlowsPlusOneWarning(analyze(cutHeader), cleanOutput(recs.subList(0, 11)));
    }

    @Test
    void badMagicIsOneClearError() throws IOException {
        byte[] b = HTTP.toBytes();
        b[0] = 0x12; b[1] = 0x34; b[2] = 0x56; b[3] = 0x78;
        Path p = write("bad-magic.pcap", b);
        assertOneError(analyze(p), p);
    }

    @Test
    void caplenAboveSnaplen() throws IOException {
        // The header says 64 bytes per packet, the records hold up to 1514.
        byte[] b = HTTP.toBytes();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 64);
        Path p = write("caplen-over-snaplen.pcap", b);
        Result r = analyze(p);
        // libpcap clips each record to the header's snaplen and reads on, silently (old
        // Solaris captures look like this). Lengths come from the IP header, so the flows
        // are the clean file's: nothing is lost, hence no warning.
        assertEquals(0, r.code(), "err: " + r.err());
        assertEquals(List.of(), r.err());
        assertEquals(cleanOutput(HTTP.records()), r.out());
    }

    @Test
    void caplenAboveWireLengthIsReadAsCaptured() throws IOException {
        List<PcapFile.Record> recs = new ArrayList<>(HTTP.records());
        PcapFile.Record r4 = recs.get(4);
        recs.set(4, new PcapFile.Record(r4.tsNanos(), 20, r4.data()));   // len 20 < caplen 66
        Path p = write("caplen-over-len.pcap", HTTP.withRecords(HTTP.linkType(), recs).toBytes());
        Result r = analyze(p);
        // libpcap passes it on as is; decode reads the captured bytes and the IP lengths.
        assertEquals(0, r.code(), "err: " + r.err());
        assertEquals(List.of(), r.err());
        assertEquals(cleanOutput(HTTP.records()), r.out(), "the bytes captured are what counts");
    }

    @Test
    void zeroLengthRecordIsSkippedWithOneWarning() throws IOException {
        List<PcapFile.Record> recs = new ArrayList<>(HTTP.records());
        recs.add(5, new PcapFile.Record(recs.get(4).tsNanos(), 0, new byte[0]));
        Path p = write("zero-length.pcap", HTTP.withRecords(HTTP.linkType(), recs).toBytes());
        Result r = analyze(p);
        assertFlowsPlusOneWarning(r, cleanOutput(HTTP.records()));
        assertTrue(r.err().get(0).contains(p.toString()), r.err().get(0));
    }

    @Test
    void pcapngIsReadLikeThePcap() throws Exception {
        Path pcap = write("http.pcap", HTTP.toBytes());
        Path ng = dir.resolve("http.pcapng");
        Process ed = new ProcessBuilder("editcap", "-F", "pcapng", pcap.toString(), ng.toString())
                .redirectErrorStream(true).start();
        assertTrue(ed.waitFor(10, TimeUnit.SECONDS), "editcap hung");
        assertEquals(0, ed.exitValue(), new String(ed.getInputStream().readAllBytes()));
        byte[] magic = Arrays.copyOf(Files.readAllBytes(ng), 4);
        assertEquals("0a0d0d0a", java.util.HexFormat.of().formatHex(magic), "editcap wrote a pcapng section header");
        Result r = analyze(ng);
        assertEquals(0, r.code(), "err: " + r.err());
        assertEquals(List.of(), r.err());
        assertEquals(cleanOutput(HTTP.records()), r.out());
    }

    @Test
    void emptyFileIsOneClearError() throws IOException {
        Path p = write("empty.pcap", new byte[0]);
        assertOneError(analyze(p), p);
    }

    @Test
    void headerOnlyFileHasNoFlowsAndNoComplaint() throws IOException {
        Path p = write("header-only.pcap", Arrays.copyOf(HTTP.toBytes(), 24));
        Result r = analyze(p);
        assertEquals(0, r.code(), "err: " + r.err());
        assertEquals(List.of(), r.err());
    }

    @Test
    void randomBytesAreOneClearError() throws IOException {
        byte[] b = new byte[4096];
        new Random(5).nextBytes(b);
        Path p = write("random.pcap", b);
        assertOneError(analyze(p), p);
    }

    @Test
    void randomRecordsAfterAValidHeader() throws IOException {
        // A valid header, then garbage: the first "record header" asks for an absurd caplen.
        Random rnd = new Random(11);
        for (int trial = 0; trial < 20; trial++) {
            byte[] b = new byte[24 + 2048];
            rnd.nextBytes(b);
            System.arraycopy(HTTP.toBytes(), 0, b, 0, 24);
            Path p = write("garbage-" + trial + ".pcap", b);
            acceptable(analyze(p), p);
        }
    }

    /** Either outcome the issue allows: exit 0 with at most one warning, or one error line and exit 1. */
    private static void acceptable(Result r, Path p) {
        if (r.code() == 0) {
            assertTrue(r.err().size() <= 1, "at most one warning line: " + r.err());
        } else {
            assertEquals(1, r.code(), "exit code; err: " + r.err());
            assertEquals(1, r.err().size(), "exactly one error line: " + r.err());
            assertTrue(r.err().get(0).contains(p.toString()), "names the file: " + r.err().get(0));
        }
    }
}
