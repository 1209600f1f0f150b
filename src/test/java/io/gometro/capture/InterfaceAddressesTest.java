package io.gometro.capture;

import org.junit.jupiter.api.Test;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.Collections;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class InterfaceAddressesTest {
    @Test void loopbackHasItsAddress() throws Exception {
        List<InetAddress> lo = InterfaceAddresses.of("lo");
        assertTrue(lo.contains(InetAddress.getByName("127.0.0.1")), lo.toString());
    }

    @Test void unknownInterfaceIsEmpty() {
        assertEquals(List.of(), InterfaceAddresses.of("gmnosuch0"));
        assertEquals(List.of(), InterfaceAddresses.of(null));
    }

    @Test void anyIsTheUnionOfEveryInterface() throws Exception {
        List<InetAddress> any = InterfaceAddresses.of("any");
        java.util.Set<InetAddress> union = new java.util.HashSet<>();
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            union.addAll(InterfaceAddresses.of(ni.getName()));
        }
        assertEquals(union, new java.util.HashSet<>(any));
        assertTrue(any.contains(InetAddress.getByName("127.0.0.1")), any.toString());
    }

    @Test void ipv6AddressesComeWithoutScope() {
        for (InetAddress a : InterfaceAddresses.of("any")) {
            if (a instanceof Inet6Address v6) {
                assertEquals(0, v6.getScopeId(), a.toString());
                assertFalse(a.getHostAddress().contains("%"), a.toString());
            }
        }
    }

    /** Matches what the kernel reports in /proc/net/if_inet6 and `ip -4 addr` for lo. */
    @Test void loopbackListsExactlyTheKernelsAddresses() throws Exception {
        List<InetAddress> lo = InterfaceAddresses.of("lo");
        NetworkInterface ni = NetworkInterface.getByName("lo");
        assertEquals(Collections.list(ni.getInetAddresses()).size(), lo.size(), lo.toString());
    }
}
