package io.gometro.capture;

import io.gometro.decode.LinkType;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Reads the fixtures with real libpcap; expected figures come from tshark (commands quoted). */
class CaptureOfflineIT {
    static final String SCP = io.gometro.testutil.Shared.fixture("test_scp.pcap").toString();
    static final String TCP = io.gometro.testutil.Shared.fixture("test_tcp.pcap").toString();
    /** `editcap -F pcapng test_tcp.pcap test_tcp.pcapng`: the same 16 packets as pcapng. */
    static final String TCP_NG = io.gometro.testutil.Shared.fixturePcapng("test_tcp.pcap").toString();

    static Counting readAll(String file, String filter) throws CaptureException {
        try (PacketSource h = PacketSource.file(file)) {
            if (filter != null) h.setFilter(filter);
            Counting c = new Counting(true);
            assertEquals(PacketSource.End.EOF, h.loop(c, () -> false), () -> String.valueOf(h.lastError()));
            assertNull(h.lastError());
            return c;
        }
    }

    @Test void scpCountsBytesAndTimestampsMatchTshark() throws Exception {
        Counting c = readAll(SCP, null);
        // `tshark -r test_scp.pcap | wc -l` → 657
        assertEquals(657, c.packets);
        // `tshark -r test_scp.pcap -T fields -e frame.cap_len | awk '{s+=$1} END {print s}'` → 714250
        assertEquals(714250, c.capBytes);
        // `tshark -r test_scp.pcap -T fields -e frame.time_epoch | sed -n '1p;$p'`
        assertEquals(1454455868_749521000L, c.firstTs);
        assertEquals(1454455874_618254000L, c.lastTs);
        assertEquals(0x0800, c.firstEtherType, "Ethernet type IPv4 at offset 12 of the first frame");
        assertTrue(c.byteSum > 0);
    }

    @Test void tcpCountsAndTimestampsMatchTshark() throws Exception {
        Counting c = readAll(TCP, null);
        // `tshark -r test_tcp.pcap | wc -l` → 16
        assertEquals(16, c.packets);
        // `tshark -r test_tcp.pcap -T fields -e frame.cap_len | awk '{s+=$1} END {print s}'` → 7392
        assertEquals(7392, c.capBytes);
        assertEquals(1357501494_514680000L, c.firstTs);
        assertEquals(1357501494_806542000L, c.lastTs);
    }

    @Test void pcapngReadsTheSamePackets() throws Exception {
        Counting a = readAll(TCP, null), b = readAll(TCP_NG, null);
        assertEquals(16, b.packets);
        assertEquals(a.capBytes, b.capBytes);
        assertEquals(a.byteSum, b.byteSum);
        assertEquals(a.firstTs, b.firstTs);
        assertEquals(a.lastTs, b.lastTs);
    }

    @Test void handleFacts() throws Exception {
        try (PacketSource h = PacketSource.file(SCP)) {
            assertEquals(LinkType.ETHERNET, h.linkType());
            assertFalse(h.isLive());
            assertEquals(new PacketSource.Stats(0, 0, 0), h.stats());
            assertNull(h.lastError());
        }
    }

    @Test void filterMatchingNothingYieldsZero() throws Exception {
        assertEquals(0, readAll(SCP, "host 10.9.9.9").packets);
        assertEquals(0, readAll(SCP, "udp").packets);
    }

    @Test void filterOnThePeerYieldsAll() throws Exception {
        assertEquals(657, readAll(SCP, "tcp and host 162.243.251.92").packets);
        // The whitelist filter go-metro builds: `tshark -r test_scp.pcap -Y 'ip.addr==162.243.251.92' | wc -l` → 657
        assertEquals(657, readAll(SCP, FilterBuilder.build("tcp", List.of("162.243.251.92", "2001:db8::1"), io.gometro.decode.LinkType.ETHERNET)).packets);
        // Only the peer's side: `tshark -r test_scp.pcap -Y 'ip.src==162.243.251.92' | wc -l` → 160
        assertEquals(160, readAll(SCP, "src host 162.243.251.92").packets);
    }

    @Test void badFilterNamesTheFilter() throws Exception {
        try (PacketSource h = PacketSource.file(SCP)) {
            CaptureException e = assertThrows(CaptureException.class, () -> h.setFilter("tcp and hots 1.2.3.4"));
            assertTrue(e.getMessage().contains("tcp and hots 1.2.3.4"), e.getMessage());
            assertFalse(e.isPermission());
        }
    }

    @Test void closeIsIdempotentAndLoopAfterCloseFails() throws Exception {
        PacketSource h = PacketSource.file(TCP);
        h.close();
        h.close();
        assertThrows(IllegalStateException.class, () -> h.loop(new Counting(false), () -> false));
    }

    @Test void stopEndsAnOfflineLoop() throws Exception {
        try (PacketSource h = PacketSource.file(SCP)) {
            Counting c = new Counting(false);
            assertEquals(PacketSource.End.STOPPED, h.loop(c, () -> c.packets >= 10));
            assertEquals(10, c.packets);
            // The handle resumes where it stopped.
            assertEquals(PacketSource.End.EOF, h.loop(c, () -> false));
            assertEquals(657, c.packets);
        }
    }
}
