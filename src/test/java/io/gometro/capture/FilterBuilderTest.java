package io.gometro.capture;

import io.gometro.decode.LinkType;
import io.gometro.testutil.Captures;
import io.gometro.testutil.Packets;
import io.gometro.testutil.PcapFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The whitelist filter as libpcap compiles and runs it (pcap_offline_filter over the frames
 * of a file), never as a string: tagged and untagged frames, IPv6 behind extension headers,
 * and the kernel's program size.
 */
class FilterBuilderTest {
    @TempDir Path tmp;

    private static final String PEER = "10.0.0.2", PEER6 = "2001:db8::2";

    private static Packets.Builder v4(String dst) {
        return Packets.tcp().src("10.0.0.1", 40000).dst(dst, 80).seq(1).ack(1).flags(0x18).payload(10);
    }

    private static Packets.Builder v6(String dst) {
        return Packets.tcp().src("2001:db8::1", 40000).dst(dst, 80).seq(1).ack(1).flags(0x18).payload(10);
    }

    /** Which of {@code frames} (Ethernet unless the file says otherwise) pass {@code filter}. */
    private List<Integer> passing(PcapFile file, String filter) throws Exception {
        Path p = tmp.resolve("f" + System.nanoTime() + ".pcap");
        file.write(p);
        List<Integer> out = new ArrayList<>();
        try (PacketSource h = PacketSource.file(p.toString())) {
            h.setFilter(filter);
            // Each frame carries its index in its timestamp (seconds).
            h.loop((seg, off, cap, wire, ts) -> out.add((int) (ts / 1_000_000_000L)), () -> false);
        }
        return out;
    }

    private static PcapFile ethernet(byte[]... frames) {
        List<PcapFile.Record> r = new ArrayList<>();
        for (int i = 0; i < frames.length; i++) r.add(new PcapFile.Record(i * 1_000_000_000L, frames[i].length, frames[i]));
        return new PcapFile(LinkType.ETHERNET, 65535, r);
    }

    @Test void untaggedTaggedAndDoubleTaggedFramesPassOnlyForWhitelistedPeers() throws Exception {
        PcapFile plain = ethernet(v4(PEER).ethernet(), v4("10.0.0.9").ethernet(), v6(PEER6).ethernet(),
                v6("2001:db8::9").ethernet());
        String f = FilterBuilder.build(null, List.of(PEER, PEER6), LinkType.ETHERNET);
        assertEquals(List.of(0, 2), passing(plain, f));
        assertEquals(List.of(0, 2), passing(Captures.vlan(plain, 7), f), "802.1Q");
        assertEquals(List.of(0, 2), passing(Captures.qinq(plain, 5, 7), f), "QinQ");
        // One direction tagged, the other not (a mirror port): both pass in one file.
        List<PcapFile.Record> mixed = new ArrayList<>(plain.records());
        mixed.addAll(Captures.vlan(plain, 7).records().stream()
                .map(r -> r.withTs(r.tsNanos() + 4_000_000_000L)).toList());
        assertEquals(List.of(0, 2, 4, 6), passing(plain.withRecords(LinkType.ETHERNET, mixed), f));
    }

    @Test void theNaiveVlanFormDropsUntaggedFrames() throws Exception {
        // Why the filter is (W) or (vlan and W): after `vlan` every offset moves by 4 bytes.
        PcapFile plain = ethernet(v4(PEER).ethernet());
        assertEquals(List.of(), passing(plain, "(tcp or (vlan and tcp)) and host " + PEER));
        assertEquals(List.of(0), passing(plain, FilterBuilder.build(null, List.of(PEER), LinkType.ETHERNET)));
    }

    @Test void ipv6TcpBehindExtensionHeadersPasses() throws Exception {
        PcapFile f = ethernet(
                v6(PEER6).v6Ext(0, 1).ethernet(),                    // hop-by-hop
                v6(PEER6).v6Ext(60, 2).ethernet(),                   // destination options, 16 bytes
                v6(PEER6).v6Ext(0, 1).v6Ext(43, 1).ethernet(),       // hop-by-hop, routing
                v6("2001:db8::9").v6Ext(0, 1).ethernet(),            // not whitelisted
                v6(PEER6).ethernet());
        String filter = FilterBuilder.build(null, List.of(PEER6), LinkType.ETHERNET);
        assertEquals(List.of(0, 1, 2, 4), passing(f, filter));
        assertEquals(List.of(0, 1, 2, 4), passing(Captures.vlan(f, 3), filter));
        assertEquals(List.of(4), passing(f, "tcp and host " + PEER6), "libpcap's tcp alone misses them");
    }

    @Test void cookedCapturesGetNoVlanClause() throws Exception {
        // libpcap refuses `vlan` on Linux cooked captures (the tag travels out of band).
        PcapFile plain = ethernet(v4(PEER).ethernet(), v4("10.0.0.9").ethernet(), v6(PEER6).v6Ext(0, 1).ethernet());
        for (PcapFile cooked : List.of(Captures.toSll(plain), Captures.toSll2(plain), Captures.toRaw(plain))) {
            String f = FilterBuilder.build(null, List.of(PEER, PEER6), cooked.linkType());
            assertFalse(f.contains("vlan"), f);
            assertEquals(List.of(0, 2), passing(cooked, f), "link type " + cooked.linkType());
        }
    }

    @Test void otherBasesAreParenthesisedAndKeepTheWhitelist() throws Exception {
        PcapFile f = ethernet(v4(PEER).ethernet(), Packets.tcp().src("10.0.0.1", 40000).dst(PEER, 22)
                .seq(1).ack(1).flags(0x18).payload(10).ethernet(), v4("10.0.0.9").ethernet());
        String filter = FilterBuilder.build("tcp port 80 or tcp port 443", List.of(PEER), LinkType.ETHERNET);
        assertEquals(List.of(0), passing(f, filter), "the or inside -f cannot swallow the whitelist");
    }

    @Test void zonesAreDroppedAndEmptyWhitelistsRejected() throws Exception {
        PcapFile f = ethernet(Packets.tcp().src("fe80::1", 40000).dst("fe80::2", 80).seq(1).ack(1).flags(0x18)
                .payload(10).ethernet());
        assertEquals(List.of(0), passing(f, FilterBuilder.build(null, List.of("fe80::2%eth0"), LinkType.ETHERNET)));
        assertThrows(IllegalArgumentException.class, () -> FilterBuilder.build("tcp", List.of(), LinkType.ETHERNET));
        assertThrows(IllegalArgumentException.class, () -> FilterBuilder.build("tcp", List.of(" "), LinkType.ETHERNET));
    }

    @Test void aLongWhitelistIsCutToWhatTheKernelAccepts() throws Exception {
        List<String> many = IntStream.range(0, 300).mapToObj(i -> "2001:db8::" + Integer.toHexString(i + 1)).toList();
        FilterBuilder.Fitted fit = FilterBuilder.fit(null, many, LinkType.ETHERNET, 512);
        assertTrue(fit.kept() > 50 && fit.kept() < 300, "kept " + fit.kept());
        assertTrue(fit.instructions() <= FilterBuilder.MAX_INSTRUCTIONS, "instructions " + fit.instructions());
        int oneMore = FilterBuilder.instructions(
                FilterBuilder.build(null, many.subList(0, fit.kept() + 1), LinkType.ETHERNET), LinkType.ETHERNET, 512);
        assertTrue(oneMore > FilterBuilder.MAX_INSTRUCTIONS, "the largest prefix that fits: one more is " + oneMore);
        // A short list is kept whole; an invalid -f is an error naming the filter.
        assertEquals(2, FilterBuilder.fit(null, List.of(PEER, PEER6), LinkType.LINUX_SLL, 512).kept());
        CaptureException e = assertThrows(CaptureException.class,
                () -> FilterBuilder.fit("tcp and", List.of(PEER), LinkType.ETHERNET, 512));
        assertTrue(e.getMessage().contains("tcp and"), e.getMessage());
    }
}
