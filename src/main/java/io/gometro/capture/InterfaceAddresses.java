package io.gometro.capture;

import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/** The local addresses of the interface go-metro captures on: they tell "our" side of a flow. */
public final class InterfaceAddresses {
    private InterfaceAddresses() {}

    /**
     * The IPv4 and IPv6 addresses assigned to {@code iface}; for "any", those of every interface;
     * for an unknown interface, an empty list. IPv6 addresses come without their scope id
     * (fe80::1, not fe80::1%eth0) so they compare equal to the addresses decoded from packets.
     */
    public static List<InetAddress> of(String iface) {
        Set<InetAddress> out = new LinkedHashSet<>();
        try {
            if ("any".equals(iface)) {
                for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) add(ni, out);
            } else {
                NetworkInterface ni = iface == null ? null : NetworkInterface.getByName(iface);
                if (ni != null) add(ni, out);
            }
        } catch (SocketException e) {
            return List.of();
        }
        return List.copyOf(new ArrayList<>(out));
    }

    private static void add(NetworkInterface ni, Set<InetAddress> out) {
        for (InetAddress a : Collections.list(ni.getInetAddresses())) {
            try {
                out.add(InetAddress.getByAddress(a.getAddress()));
            } catch (UnknownHostException impossible) {
                // only thrown for a wrong-length byte array, which an interface address never has
            }
        }
        // Virtual sub-interfaces (eth0:1) are listed apart from their parent; include them under it.
        for (NetworkInterface sub : Collections.list(ni.getSubInterfaces())) add(sub, out);
    }
}
