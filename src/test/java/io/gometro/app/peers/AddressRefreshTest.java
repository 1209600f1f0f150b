package io.gometro.app.peers;

import io.gometro.report.LogCapture;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The merge rule and the hand-over of {@link AddressRefresh}, with a stand-in lookup (what the
 * name service answers is the test's input) and explicit times. The daemon with a real name
 * service (a namespace's /etc/hosts) is DaemonRefreshIT.
 */
@Timeout(30)
class AddressRefreshTest {
    static final long S = 1_000_000_000L;
    static final Duration EVERY = Duration.ofSeconds(300);
    static final long T0 = 1_000 * S;

    static InetAddress ip(String s) {
        return InetAddress.ofLiteral(s);
    }

    /** A lookup answer: the addresses, each named "name". */
    static Whitelist.Result answer(String name, String... ips) {
        Map<InetAddress, String> names = new LinkedHashMap<>();
        for (String s : ips) names.put(ip(s), name);
        return new Whitelist.Result(new ArrayList<>(names.keySet()), names, List.of());
    }

    static final List<InetAddress> OWN = List.of(ip("10.0.0.5"));

    /** A stand-in interface and name service: answers what the test last set, counts the lookups. */
    static final class Answers implements AddressRefresh.Lookup {
        final AtomicReference<Object> next = new AtomicReference<>();
        final AtomicReference<List<InetAddress>> own = new AtomicReference<>(OWN);
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public AddressRefresh.Answer resolve() throws Exception {
            calls.incrementAndGet();
            Object o = next.get();
            if (o instanceof Exception e) throw e;
            return new AddressRefresh.Answer(own.get(), (Whitelist.Result) o);
        }
    }

    /** Polls at {@code now} until the lookup started by the first poll has been taken. */
    static AddressRefresh.Update lookUp(AddressRefresh r, long now) throws InterruptedException {
        assertNull(r.poll(now), "starting a lookup returns nothing");
        assertTrue(r.looking(), "a lookup is due at " + now);
        AddressRefresh.Update u = null;
        while (r.looking()) {
            u = r.poll(now);
            if (r.looking()) Thread.sleep(1);
        }
        return u;
    }

    @Test
    void looksUpOnlyWhenDueAndNeverWaits() throws Exception {
        Answers dns = new Answers();
        dns.next.set(answer("api.example", "192.0.2.1"));
        AddressRefresh r = new AddressRefresh("eth0", dns, OWN, answer("api.example", "192.0.2.1"), EVERY, T0);
        assertNull(r.poll(T0 + 299 * S));
        assertFalse(r.looking());
        assertEquals(0, dns.calls.get());
        assertNull(lookUp(r, T0 + 300 * S), "the same answer changes nothing");
        assertEquals(1, dns.calls.get());
        // the next one is an interval after the last one ended
        assertNull(r.poll(T0 + 599 * S));
        assertFalse(r.looking());
        assertNull(lookUp(r, T0 + 600 * S));
        assertEquals(2, dns.calls.get());
    }

    @Test
    void aNewAddressIsAddedAndAnOldOneKeptForAnHour() throws Exception {
        Answers dns = new Answers();
        AddressRefresh r = new AddressRefresh("eth0", dns, OWN, answer("api.example", "192.0.2.1"), EVERY, T0);
        dns.next.set(answer("api.example", "192.0.2.2"));
        long t = T0 + 300 * S;
        AddressRefresh.Update u = lookUp(r, t);
        assertNotNull(u);
        assertEquals(List.of(ip("192.0.2.1"), ip("192.0.2.2")), u.peers(), "first seen first");
        assertEquals(List.of(ip("192.0.2.2")), u.added());
        assertEquals(List.of(), u.removed());
        assertEquals("api.example", u.names().get(ip("192.0.2.2")));
        assertTrue(u.whitelistChanged());
        assertNull(u.local(), "own addresses unchanged");

        // 192.0.2.1 was last returned at T0; it goes once more than RETAIN has passed since
        long hour = AddressRefresh.RETAIN.toSeconds() * S;
        assertNull(lookUp(r, T0 + hour), "exactly RETAIN after: still kept");
        t = T0 + hour + 300 * S;
        u = lookUp(r, t);
        assertNotNull(u);
        assertEquals(List.of(ip("192.0.2.2")), u.peers());
        assertEquals(List.of(), u.added());
        assertEquals(List.of(ip("192.0.2.1")), u.removed());
        assertFalse(u.names().containsKey(ip("192.0.2.1")), "no name kept for a removed address");
    }

    @Test
    void aFailedLookupChangesNothingAndIsLoggedOnce() throws Exception {
        Answers dns = new Answers();
        AddressRefresh r = new AddressRefresh("eth0", dns, OWN, answer("api.example", "192.0.2.1"), EVERY, T0);
        dns.next.set(new IllegalStateException("no usable peer"));
        try (LogCapture log = new LogCapture(Level.WARN, AddressRefresh.class)) {
            assertNull(lookUp(r, T0 + 300 * S));
            assertNull(lookUp(r, T0 + 600 * S));
            assertEquals(1, log.lines().size(), log.lines().toString());
            String w = log.lines().get(0).message();
            assertTrue(w.contains("eth0") && w.contains("no usable peer") && w.contains("keeping the current one"), w);
        }
        assertEquals(List.of(ip("192.0.2.1")), r.peers());
        assertEquals(2, dns.calls.get(), "retried at the next interval");
        // even past RETAIN, an outage removes nothing: nothing newer has been seen
        assertNull(lookUp(r, T0 + 2 * AddressRefresh.RETAIN.toSeconds() * S));
        assertEquals(List.of(ip("192.0.2.1")), r.peers());
    }

    @Test
    void aLookupWarningIsLoggedWhenItAppearsNotAtEveryLookup() throws Exception {
        Answers dns = new Answers();
        AddressRefresh r = new AddressRefresh("eth0", dns, OWN, answer("api.example", "192.0.2.1"), EVERY, T0);
        Whitelist.Result withWarning = new Whitelist.Result(List.of(ip("192.0.2.1")), Map.of(ip("192.0.2.1"), "api.example"),
                List.of("cfg: instances[0].hosts: gone.example did not resolve (unknown host); skipped"));
        dns.next.set(withWarning);
        try (LogCapture log = new LogCapture(Level.WARN, AddressRefresh.class)) {
            lookUp(r, T0 + 300 * S);
            lookUp(r, T0 + 600 * S);
            assertEquals(1, log.containing("gone.example did not resolve").size(), log.lines().toString());
            dns.next.set(answer("api.example", "192.0.2.1"));
            lookUp(r, T0 + 900 * S);
            dns.next.set(withWarning);
            lookUp(r, T0 + 1200 * S);
            assertEquals(2, log.containing("gone.example did not resolve").size(), "logged again after it had cleared");
        }
    }

    @Test
    void aNewNameForTheSameAddressIsAnUpdate() throws Exception {
        Answers dns = new Answers();
        AddressRefresh r = new AddressRefresh("eth0", dns, OWN, answer("192.0.2.1", "192.0.2.1"), EVERY, T0);
        dns.next.set(answer("db1.example", "192.0.2.1"));
        AddressRefresh.Update u = lookUp(r, T0 + 300 * S);
        assertNotNull(u);
        assertEquals(List.of(), u.added());
        assertEquals(List.of(), u.removed());
        assertEquals("db1.example", u.names().get(ip("192.0.2.1")));
    }

    @Test
    void retainedAddressesAreCappedButTheLatestAnswerCountsWhole() throws Exception {
        Answers dns = new Answers();
        AddressRefresh r = new AddressRefresh("eth0", dns, OWN, answer("cdn.example", "10.0.0.1"), Duration.ofSeconds(10), T0);
        // a name that answers with 10 new addresses every time: the retained ones pile up to the cap
        long t = T0;
        int n = 1;
        for (int round = 0; round < 40; round++) {
            String[] ips = new String[10];
            for (int i = 0; i < 10; i++, n++) ips[i] = "10.0." + (n / 250) + "." + (n % 250 + 1);
            dns.next.set(answer("cdn.example", ips));
            t += 10 * S;
            lookUp(r, t);
            // advance past the interval that starts when the lookup is taken
        }
        List<InetAddress> peers = r.peers();
        assertEquals(AddressRefresh.MAX_PEERS, peers.size());
        assertTrue(peers.containsAll(dns.next.get() instanceof Whitelist.Result w ? w.peers() : List.of()),
                "the latest answer is whole");
        assertFalse(peers.contains(ip("10.0.0.1")), "the longest unseen went first");

        // an answer larger than the cap is kept whole
        String[] big = new String[300];
        for (int i = 0; i < big.length; i++) big[i] = "10.9." + (i / 250) + "." + (i % 250 + 1);
        dns.next.set(answer("cdn.example", big));
        lookUp(r, t + 10 * S);
        assertEquals(300, r.peers().size());
        assertTrue(r.peers().contains(ip("10.9.0.1")) && r.peers().contains(ip("10.9.1.50")));
    }

    @Test
    void newOwnAddressesAreAnUpdateAndAMomentWithoutAnyKeepsTheOldOnes() throws Exception {
        Answers dns = new Answers();
        dns.next.set(answer("api.example", "192.0.2.1"));
        AddressRefresh r = new AddressRefresh("eth0", dns, OWN, answer("api.example", "192.0.2.1"), EVERY, T0);
        dns.own.set(List.of(ip("10.0.0.5"), ip("10.0.0.6")));
        AddressRefresh.Update u = lookUp(r, T0 + 300 * S);
        assertNotNull(u);
        assertEquals(List.of(ip("10.0.0.5"), ip("10.0.0.6")), u.local());
        assertFalse(u.whitelistChanged());
        assertEquals(List.of(ip("192.0.2.1")), u.peers());

        dns.own.set(List.of(ip("10.0.0.6"), ip("10.0.0.5")));
        assertNull(lookUp(r, T0 + 600 * S), "the same addresses in another order change nothing");
        dns.own.set(List.of());
        assertNull(lookUp(r, T0 + 900 * S), "an interface without addresses for a moment keeps the old ones");
        assertEquals(List.of(ip("10.0.0.5"), ip("10.0.0.6")), r.local());
        dns.own.set(List.of(ip("10.0.0.6")));
        u = lookUp(r, T0 + 1200 * S);
        assertNotNull(u);
        assertEquals(List.of(ip("10.0.0.6")), u.local());
    }

    @Test
    void aFailedReverseLookupKeepsTheKnownNameAndAnAddressThatBecameOursLeaves() throws Exception {
        Answers dns = new Answers();
        AddressRefresh r = new AddressRefresh("eth0", dns, OWN,
                new Whitelist.Result(List.of(ip("192.0.2.1"), ip("192.0.2.2")),
                        Map.of(ip("192.0.2.1"), "db1.example", ip("192.0.2.2"), "db2.example"), List.of()), EVERY, T0);
        // The PTR lookup of 192.0.2.1 times out: Whitelist falls back to the literal.
        dns.next.set(new Whitelist.Result(List.of(ip("192.0.2.1"), ip("192.0.2.2")),
                Map.of(ip("192.0.2.1"), "192.0.2.1", ip("192.0.2.2"), "db2.example"), List.of()));
        assertNull(lookUp(r, T0 + 300 * S), "no change: the known name stays");

        // 192.0.2.2 is now one of this host's addresses: Whitelist drops it, and it must not linger.
        dns.own.set(List.of(ip("10.0.0.5"), ip("192.0.2.2")));
        dns.next.set(answer("db1.example", "192.0.2.1"));
        AddressRefresh.Update u = lookUp(r, T0 + 600 * S);
        assertNotNull(u);
        assertEquals(List.of(ip("192.0.2.1")), u.peers());
        assertEquals(List.of(ip("192.0.2.2")), u.removed());
        assertEquals("db1.example", u.names().get(ip("192.0.2.1")));
    }
}
