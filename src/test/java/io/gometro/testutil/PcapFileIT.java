package io.gometro.testutil;

import static org.junit.jupiter.api.Assertions.*;

import io.gometro.decode.LinkType;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PcapFileIT {

    @Test
    void fixtureHeaders() {
        // capinfos -l -E -c: test_scp.pcap ether, snaplen 262144, 657 packets; test_tcp.pcap 65535, 16
        PcapFile scp = PcapFile.fixture("test_scp.pcap");
        assertEquals(LinkType.ETHERNET, scp.linkType());
        assertEquals(262144, scp.snaplen());
        assertEquals(657, scp.records().size());
        assertFalse(scp.nanos());
        assertEquals(ByteOrder.LITTLE_ENDIAN, scp.byteOrder());
        PcapFile tcp = PcapFile.fixture("test_tcp.pcap");
        assertEquals(65535, tcp.snaplen());
        assertEquals(16, tcp.records().size());
        // tshark -r test_tcp.pcap -T fields -e frame.time_epoch -e frame.len -c 1
        //   -> 1357501494.514680000  78
        PcapFile.Record first = tcp.records().get(0);
        assertEquals(1357501494_514680000L, first.tsNanos());
        assertEquals(78, first.origLen());
        assertEquals(78, first.caplen());
    }

    /** Every byte order and resolution writes and reads back the same records. */
    @Test
    void roundTripAllFormats() {
        PcapFile scp = PcapFile.fixture("test_scp.pcap");
        byte[] orig = scp.toBytes();
        for (boolean nanos : new boolean[] {false, true}) {
            for (ByteOrder o : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                PcapFile back = PcapFile.parse(scp.withFormat(nanos, o).toBytes());
                assertEquals(nanos, back.nanos());
                assertEquals(o, back.byteOrder());
                assertEquals(scp.linkType(), back.linkType());
                assertEquals(scp.snaplen(), back.snaplen());
                assertEquals(scp.records().size(), back.records().size());
                for (int i = 0; i < scp.records().size(); i++) {
                    PcapFile.Record a = scp.records().get(i), b = back.records().get(i);
                    assertEquals(a.tsNanos(), b.tsNanos());
                    assertEquals(a.origLen(), b.origLen());
                    assertArrayEquals(a.data(), b.data());
                }
                // Back to the original format: byte-identical to the fixture as we write it.
                assertArrayEquals(orig, back.withFormat(false, ByteOrder.LITTLE_ENDIAN).toBytes());
            }
        }
    }

    @Test
    void nanosecondsSurviveOnlyInNanosecondFiles() {
        PcapFile f = new PcapFile(LinkType.RAW, 100, List.of(new PcapFile.Record(1_000_000_123_456_789L, 3, new byte[] {0x45, 0, 0})));
        assertEquals(1_000_000_123_456_789L, PcapFile.parse(f.withFormat(true, ByteOrder.BIG_ENDIAN).toBytes()).records().get(0).tsNanos());
        assertEquals(1_000_000_123_456_000L, PcapFile.parse(f.toBytes()).records().get(0).tsNanos());
    }

    @Test
    void truncatedLastRecordIsDroppedAndBadMagicRejected() {
        byte[] b = PcapFile.fixture("test_tcp.pcap").toBytes();
        assertEquals(15, PcapFile.parse(Arrays.copyOf(b, b.length - 1)).records().size());
        byte[] bad = b.clone();
        bad[0] = 0x0a;
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PcapFile.parse(bad));
        assertTrue(e.getMessage().contains("magic"), e.getMessage());
    }
}
