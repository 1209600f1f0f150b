package io.gometro.net;

import static org.junit.jupiter.api.Assertions.*;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class AddressesTest {

    private static String text(String literal) {
        long[] a = Addresses.parse(literal);
        return Addresses.toString(a[0], a[1]);
    }

    @Test
    void ipv4IsMapped() {
        long[] a = Addresses.parse("10.42.31.222");
        assertEquals(0, a[0]);
        assertEquals(0x0000_ffff_0a2a_1fdeL, a[1]);
        assertTrue(Addresses.isV4(a[0], a[1]));
        assertEquals("10.42.31.222", Addresses.toString(a[0], a[1]));
        assertEquals(0x0a2a_1fde, Addresses.v4(a[1]));
        assertEquals(a[1], Addresses.v4Lo(0x0a2a_1fde));
        assertEquals("255.255.255.255", Addresses.toString(0, Addresses.v4Lo(-1)));
        assertEquals("10.42.31.222:8125", Addresses.format(a[0], a[1], 8125));
        // The mapped text form is the same address.
        assertArrayEquals(a, Addresses.parse("::ffff:10.42.31.222"));
    }

    @Test
    void ipv6TextIsRfc5952() {
        assertEquals("2001:db8::1", text("2001:0DB8:0000:0000:0000:0000:0000:0001"));
        assertEquals("::", text("::"));
        assertEquals("::1", text("0:0:0:0:0:0:0:1"));
        assertEquals("fe80::", text("fe80:0:0:0:0:0:0:0"));
        // A single zero group is not compressed (4.2.2).
        assertEquals("2001:db8:0:1:1:1:1:1", text("2001:db8:0:1:1:1:1:1"));
        // The longest run wins; on a tie the first (4.2.3).
        assertEquals("2001:0:0:1::1", text("2001:0:0:1:0:0:0:1"));
        assertEquals("2001:db8::1:0:0:1", text("2001:db8:0:0:1:0:0:1"));
        assertEquals("1:2:3:4:5:6:7:8", text("1:2:3:4:5:6:7:8"));
        assertEquals("[2001:db8::1]:443", Addresses.format(0x2001_0db8_0000_0000L, 1, 443));
        // IPv4-compatible (not mapped) stays IPv6.
        assertFalse(Addresses.isV4(0, 0x0a00_0001L));
        assertEquals("::a00:1", Addresses.toString(0, 0x0a00_0001L));
    }

    @Test
    void inetAddressRoundTrip() throws Exception {
        for (String s : new String[] {"192.0.2.1", "0.0.0.0", "2001:db8::ff00:42:8329", "::1", "fe80::1"}) {
            InetAddress a = InetAddress.ofLiteral(s);
            long hi = Addresses.hi(a), lo = Addresses.lo(a);
            InetAddress back = Addresses.toInetAddress(hi, lo);
            assertEquals(a, back, s);
            assertEquals(s.contains(":"), back instanceof Inet6Address, s);
            assertEquals(!s.contains(":"), back instanceof Inet4Address, s);
        }
    }

    @Test
    void parseRejectsNames() {
        assertThrows(IllegalArgumentException.class, () -> Addresses.parse("localhost"));
        assertThrows(IllegalArgumentException.class, () -> Addresses.parse("1.2.3"));
        assertThrows(IllegalArgumentException.class, () -> Addresses.parse("256.1.1.1"));
        assertThrows(IllegalArgumentException.class, () -> Addresses.parse("1:2"));
        assertThrows(IllegalArgumentException.class, () -> Addresses.parse(""));
    }
}
