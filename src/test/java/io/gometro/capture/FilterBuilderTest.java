package io.gometro.capture;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class FilterBuilderTest {
    @Test void tcpBaseIsNotWrapped() {
        assertEquals("tcp and not host 127.0.0.1 and (host 45.33.125.153)",
                FilterBuilder.build("tcp", List.of("45.33.125.153")));
        assertEquals("tcp and not host 127.0.0.1 and (host 10.0.0.1 or host 2001:db8::7 or host 10.0.0.2)",
                FilterBuilder.build("tcp", List.of("10.0.0.1", "2001:db8::7", "10.0.0.2")));
    }

    @Test void otherBasesAreParenthesised() {
        assertEquals("(tcp port 443 or tcp port 80) and not host 127.0.0.1 and (host 10.0.0.1)",
                FilterBuilder.build("tcp port 443 or tcp port 80", List.of("10.0.0.1")));
    }

    @Test void emptyWhitelistIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> FilterBuilder.build("tcp", List.of()));
        assertThrows(IllegalArgumentException.class, () -> FilterBuilder.build("tcp", List.of(" ")));
    }

    /** libpcap itself compiles what we build, IPv6 literals included. */
    @Test void libpcapCompilesTheFilter() throws Exception {
        try (CaptureHandle h = CaptureHandle.openOffline(CaptureOfflineTest.TCP)) {
            h.setFilter(FilterBuilder.build("tcp", List.of("107.6.106.82", "2001:db8::7", "fe80::1")));
            h.setFilter(FilterBuilder.build("tcp port 80 or tcp port 443", List.of("107.6.106.82")));
            Counting c = new Counting(false);
            h.loop(c, () -> false);
            // `tshark -r test_tcp.pcap -Y 'tcp.port==80 || tcp.port==443' | wc -l` → 16
            assertEquals(16, c.packets);
        }
    }
}
