package io.gometro.report;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.*;

class AddressTextTest {
    static String text(String literal) throws Exception {
        InetAddress a = InetAddress.getByName(literal);
        return AddressText.ip(AddressText.hi(a), AddressText.lo(a));
    }

    @Test
    void ipv4IsDottedQuad() throws Exception {
        assertEquals("10.42.31.222", text("10.42.31.222"));
        assertEquals("255.0.0.1", text("255.0.0.1"));
        assertEquals("0.0.0.0", text("0.0.0.0"));
        assertEquals("162.243.251.92:22", AddressText.endpoint(0, 0x0000_ffff_a2f3_fb5cL, 22));
    }

    @Test
    void ipv6FollowsRfc5952() throws Exception {
        assertEquals("::1", text("::1"));
        assertEquals("::", text("::"));
        assertEquals("2001:db8::1", text("2001:db8:0:0:0:0:0:1"));
        assertEquals("2001:db8:0:1:1:1:1:1", text("2001:db8:0:1:1:1:1:1"));   // a single zero group stays
        assertEquals("2001:db8::1:0:0:1", text("2001:db8:0:0:1:0:0:1"));     // leftmost of equal runs
        assertEquals("1:0:0:2::3", text("1:0:0:2:0:0:0:3"));                 // the longest run
        assertEquals("fe80::fc:ff:fe00:1", text("fe80:0:0:0:fc:ff:fe00:1"));
        assertEquals("2001:db8::", text("2001:db8::"));
        assertEquals("[2001:db8::2]:443", AddressText.endpoint(0x2001_0db8_0000_0000L, 2, 443));
    }

    @Test
    void hiLoOfAnIpv6AddressAreItsBits() throws Exception {
        InetAddress a = InetAddress.getByName("2001:db8:1:2:3:4:5:6");
        assertEquals(0x2001_0db8_0001_0002L, AddressText.hi(a));
        assertEquals(0x0003_0004_0005_0006L, AddressText.lo(a));
        InetAddress v4 = InetAddress.getByName("192.168.1.116");
        assertEquals(0, AddressText.hi(v4));
        assertEquals(0x0000_ffff_c0a8_0174L, AddressText.lo(v4));
    }
}
