package io.gometro.pkg;

import java.util.concurrent.ThreadLocalRandom;

/**
 * Traffic for the packaging ITs: a network namespace of the test's own holding an HTTP server,
 * joined to this machine's network by a veth pair, and a client here asking it every 200 ms. The
 * installed daemon captures on {@link #iface()} with {@link #peerIp()} whitelisted. Bounded in
 * time; {@link #close()} removes the namespace and the link.
 */
final class HttpPeer implements AutoCloseable {
    private final String ns, vethHost, vethNs, hostIp, peerIp;
    private final Process server, client;

    /** @param net the second octet of the private 10.x.y.0/24 the pair uses, one per test class */
    HttpPeer(String prefix, int net, int seconds) {
        String suffix = Integer.toHexString(ThreadLocalRandom.current().nextInt(0x10000, 0xfffff));
        int subnet = 100 + ThreadLocalRandom.current().nextInt(100);
        ns = prefix + suffix;
        vethHost = prefix + "a" + suffix;
        vethNs = prefix + "b" + suffix;
        hostIp = "10." + net + "." + subnet + ".1";
        peerIp = "10." + net + "." + subnet + ".2";
        Sh.run(10, "ip", "netns", "add", ns).ok("netns add");
        Sh.run(10, "ip", "link", "add", vethHost, "type", "veth", "peer", "name", vethNs).ok("veth");
        Sh.run(10, "ip", "link", "set", vethNs, "netns", ns).ok("veth to ns");
        Sh.run(10, "ip", "addr", "add", hostIp + "/24", "dev", vethHost).ok("addr");
        Sh.run(10, "ip", "link", "set", vethHost, "up").ok("up");
        Sh.run(10, "ip", "netns", "exec", ns, "ip", "addr", "add", peerIp + "/24", "dev", vethNs).ok("addr ns");
        Sh.run(10, "ip", "netns", "exec", ns, "ip", "link", "set", vethNs, "up").ok("up ns");
        Sh.run(10, "ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up").ok("lo ns");
        try {
            server = new ProcessBuilder("timeout", Integer.toString(seconds), "ip", "netns", "exec", ns, "python3", "-m",
                    "http.server", "--bind", peerIp, "18080")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            client = new ProcessBuilder("timeout", Integer.toString(seconds - 10), "sh", "-c",
                    "sleep 2; while :; do curl -s -o /dev/null --max-time 2 http://" + peerIp + ":18080/ ; sleep 0.2; done")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (java.io.IOException e) {
            close();
            throw new AssertionError("cannot start the HTTP traffic: " + e.getMessage(), e);
        }
    }

    /** This machine's end of the veth pair. */
    String iface() { return vethHost; }
    String hostIp() { return hostIp; }
    String peerIp() { return peerIp; }

    @Override
    public void close() {
        for (Process p : new Process[] {client, server}) {
            if (p != null) {
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
            }
        }
        Sh.sh(10, "for p in $(ip netns pids " + ns + " 2>/dev/null); do kill $p; done");
        Sh.run(10, "ip", "link", "del", vethHost);
        Sh.run(10, "ip", "netns", "del", ns);
    }
}
