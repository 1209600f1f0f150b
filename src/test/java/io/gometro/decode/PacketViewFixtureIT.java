package io.gometro.decode;

import static org.junit.jupiter.api.Assertions.*;

import io.gometro.net.Addresses;
import io.gometro.testutil.Captures;
import io.gometro.testutil.DecodedPacket;
import io.gometro.testutil.PcapFile;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fixtures decoded packet by packet against tshark 4.x's view of them, and their
 * link-layer rewrites against the originals.
 */
class PacketViewFixtureIT {

    /** Totals over one capture, compared with tshark's. */
    record Totals(int ok, int syn, int fin, int rst, int ack, int withPayload, int withTs, int sackPerm,
            int withMss, int withWs, long payloadBytes, long seqSum, long ackSum, long tsValSum, long tsEcrSum,
            long srcPortSum, long windowSum) {

        static Totals of(List<DecodedPacket> packets) {
            int ok = 0, syn = 0, fin = 0, rst = 0, ack = 0, pay = 0, ts = 0, sp = 0, mss = 0, ws = 0;
            long bytes = 0, seq = 0, acks = 0, tsv = 0, tse = 0, port = 0, win = 0;
            for (DecodedPacket p : packets) {
                if (!p.ok()) continue;
                ok++;
                if ((p.flags() & PacketView.SYN) != 0) syn++;
                if ((p.flags() & PacketView.FIN) != 0) fin++;
                if ((p.flags() & PacketView.RST) != 0) rst++;
                if ((p.flags() & PacketView.ACK) != 0) ack++;
                if (p.payloadLength() > 0) pay++;
                if (p.hasTimestamps()) {
                    ts++;
                    tsv += Integer.toUnsignedLong(p.tsVal());
                    tse += Integer.toUnsignedLong(p.tsEcr());
                }
                if (p.sackPermitted()) sp++;
                if (p.mss() >= 0) mss++;
                if (p.windowScale() >= 0) ws++;
                bytes += p.payloadLength();
                seq += Integer.toUnsignedLong(p.seq());
                acks += Integer.toUnsignedLong(p.ack());
                port += p.srcPort();
                win += p.window();
            }
            return new Totals(ok, syn, fin, rst, ack, pay, ts, sp, mss, ws, bytes, seq, acks, tsv, tse, port, win);
        }
    }

    /*
     * Ground truth, from tshark 4.0 (Debian 12) on each fixture:
     *   tshark -r F -Y tcp | wc -l                      -> ok
     *   tshark -r F -Y 'tcp.flags.syn==1' | wc -l       -> syn   (likewise fin, reset, ack)
     *   tshark -r F -Y 'tcp.len>0' | wc -l              -> withPayload
     *   tshark -r F -Y tcp.options.timestamp.tsval | wc -l, tcp.options.sack_perm, tcp.options.mss_val,
     *       tcp.options.wscale.shift                    -> withTs, sackPerm, withMss, withWs
     *   tshark -r F -T fields -e tcp.len -e tcp.seq_raw -e tcp.ack_raw -e tcp.options.timestamp.tsval \
     *       -e tcp.options.timestamp.tsecr -e tcp.srcport -e tcp.window_size_value \
     *     | awk '{l+=$1; s+=$2; a+=$3; v+=$4; e+=$5; p+=$6; w+=$7}
     *            END {printf "%.0f %.0f %.0f %.0f %.0f %.0f %.0f\n", l,s,a,v,e,p,w}'
     *                                                   -> the sums
     */
    static final Totals SCP = new Totals(657, 2, 2, 0, 656, 497, 657, 2, 2, 2,
            670868L, 1519720986717L, 685237724840L, 849212653134L, 1264937195175L, 27101451L, 2286428L);
    static final Totals TCP = new Totals(16, 2, 2, 0, 15, 6, 16, 2, 2, 2,
            6316L, 44121500415L, 41941410447L, 15303703497L, 13842405193L, 395008L, 128929L);

    @Test
    void scpMatchesTshark() {
        PcapFile f = PcapFile.fixture("test_scp.pcap");
        assertEquals(657, f.records().size());
        assertEquals(SCP, Totals.of(DecodedPacket.decodeAll(f)));
    }

    @Test
    void httpMatchesTshark() {
        PcapFile f = PcapFile.fixture("test_tcp.pcap");
        assertEquals(16, f.records().size());
        assertEquals(TCP, Totals.of(DecodedPacket.decodeAll(f)));
    }

    @Test
    void httpFirstPacketsFieldByField() {
        // tshark -r test_tcp.pcap -T fields -e ip.src -e tcp.srcport -e ip.dst -e tcp.dstport -e tcp.flags
        //   -e tcp.len -e tcp.options.mss_val -e tcp.options.wscale.shift | head -2
        List<DecodedPacket> p = DecodedPacket.decodeAll(PcapFile.fixture("test_tcp.pcap"));
        DecodedPacket syn = p.get(0), synAck = p.get(1);
        assertEquals("192.168.1.116:49296", Addresses.format(syn.srcHi(), syn.srcLo(), syn.srcPort()));
        assertEquals("107.6.106.82:80", Addresses.format(syn.dstHi(), syn.dstLo(), syn.dstPort()));
        assertEquals(PacketView.SYN, syn.flags());
        assertEquals(1460, syn.mss());
        assertEquals(4, syn.windowScale());
        assertEquals(PacketView.SYN | PacketView.ACK, synAck.flags());
        assertEquals(7, synAck.windowScale());
        assertEquals(syn.seq() + 1, synAck.ack());
    }

    /** Each rewrite, written to disk and read back, decodes to exactly the original fields. */
    @Test
    void rewrittenFixturesDecodeTheSame(@TempDir Path tmp) throws IOException {
        for (String name : new String[] {"test_scp.pcap", "test_tcp.pcap"}) {
            PcapFile orig = PcapFile.fixture(name);
            List<DecodedPacket> want = DecodedPacket.decodeAll(orig);
            PcapFile[] rewrites = {
                Captures.vlan(orig, 100), Captures.qinq(orig, 200, 100), Captures.toSll(orig),
                Captures.toSll2(orig), Captures.toRaw(orig), Captures.shift(orig, -3_600_000_000_000L),
                Captures.toSll2(orig).withFormat(true, ByteOrder.BIG_ENDIAN),
            };
            for (int i = 0; i < rewrites.length; i++) {
                Path p = tmp.resolve(name + "." + i);
                rewrites[i].write(p);
                PcapFile back = PcapFile.read(p);
                assertEquals(rewrites[i].linkType(), back.linkType());
                assertEquals(want, DecodedPacket.decodeAll(back), name + " rewrite " + i + " linktype " + back.linkType());
            }
        }
    }
}
