package io.gometro.testutil;

import io.gometro.decode.LinkType;
import io.gometro.decode.PacketView;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Rewrites of Ethernet captures into other link layers and other times. Each keeps the
 * IP packet byte for byte, so every TCP field, and hence every RTT, must come out the same
 * when the result is decoded; only the link header, the lengths that include it and the
 * timestamps change. Inputs must be {@link LinkType#ETHERNET} files.
 *
 * <p>Frames that are too short to hold an Ethernet header are copied unchanged (SLL, SLL2,
 * VLAN) or dropped (RAW, which can only carry IP).
 *
 * <p>The rest make what real hosts do to a capture: every frame seen twice, the clock
 * stepping, a 4-tuple reused by a new connection. These work on any link type.
 */
public final class Captures {
    private Captures() {}

    /** Every frame tagged once with 802.1Q VLAN {@code vid} (TPID 0x8100). */
    public static PcapFile vlan(PcapFile ethernet, int vid) {
        return tagged(ethernet, new int[] {0x8100}, new int[] {vid});
    }

    /** Every frame double-tagged: 802.1ad outer {@code outerVid} (0x88a8), 802.1Q inner {@code innerVid}. */
    public static PcapFile qinq(PcapFile ethernet, int outerVid, int innerVid) {
        return tagged(ethernet, new int[] {0x88a8, 0x8100}, new int[] {outerVid, innerVid});
    }

    /** Every frame tagged with the given TPIDs and VLAN ids, outermost first. */
    public static PcapFile tagged(PcapFile ethernet, int[] tpids, int[] vids) {
        requireEthernet(ethernet);
        int add = 4 * tpids.length;
        List<PcapFile.Record> out = new ArrayList<>();
        for (PcapFile.Record r : ethernet.records()) {
            byte[] d = r.data();
            if (d.length < 14) { out.add(r); continue; }
            ByteBuffer b = ByteBuffer.allocate(d.length + add);
            b.put(d, 0, 12);
            for (int i = 0; i < tpids.length; i++) b.putShort((short) tpids[i]).putShort((short) (vids[i] & 0x0fff));
            b.put(d, 12, d.length - 12);
            out.add(new PcapFile.Record(r.tsNanos(), r.origLen() + add, b.array()));
        }
        return ethernet.withRecords(LinkType.ETHERNET, out);
    }

    /**
     * Linux cooked capture v1 (LINKTYPE_LINUX_SLL, 16-byte header): packet type 0 ("to us"),
     * ARPHRD_ETHER, the Ethernet source address, then the ethertype.
     */
    public static PcapFile toSll(PcapFile ethernet) {
        requireEthernet(ethernet);
        List<PcapFile.Record> out = new ArrayList<>();
        for (PcapFile.Record r : ethernet.records()) {
            byte[] d = r.data();
            if (d.length < 14) { out.add(r); continue; }
            ByteBuffer b = ByteBuffer.allocate(d.length + 2);
            b.putShort((short) 0).putShort((short) 1).putShort((short) 6).put(d, 6, 6).putShort((short) 0)
                    .put(d, 12, d.length - 12);
            out.add(new PcapFile.Record(r.tsNanos(), r.origLen() + 2, b.array()));
        }
        return ethernet.withRecords(LinkType.LINUX_SLL, out);
    }

    /**
     * Linux cooked capture v2 (LINKTYPE_LINUX_SLL2, 20-byte header): ethertype, reserved,
     * interface index 1, ARPHRD_ETHER, packet type 0, address length 6, the source address.
     */
    public static PcapFile toSll2(PcapFile ethernet) {
        requireEthernet(ethernet);
        List<PcapFile.Record> out = new ArrayList<>();
        for (PcapFile.Record r : ethernet.records()) {
            byte[] d = r.data();
            if (d.length < 14) { out.add(r); continue; }
            ByteBuffer b = ByteBuffer.allocate(d.length + 6);
            b.put(d, 12, 2).putShort((short) 0).putInt(1).putShort((short) 1).put((byte) 0).put((byte) 6)
                    .put(d, 6, 6).putShort((short) 0).put(d, 14, d.length - 14);
            out.add(new PcapFile.Record(r.tsNanos(), r.origLen() + 6, b.array()));
        }
        return ethernet.withRecords(LinkType.LINUX_SLL2, out);
    }

    /** LINKTYPE_RAW: the IP packets alone; non-IP frames (ARP, ...) are dropped. */
    public static PcapFile toRaw(PcapFile ethernet) {
        requireEthernet(ethernet);
        List<PcapFile.Record> out = new ArrayList<>();
        for (PcapFile.Record r : ethernet.records()) {
            byte[] d = r.data();
            if (d.length < 14) continue;
            int type = ((d[12] & 0xff) << 8) | (d[13] & 0xff);
            if (type != 0x0800 && type != 0x86dd) continue;
            out.add(new PcapFile.Record(r.tsNanos(), r.origLen() - 14, Arrays.copyOfRange(d, 14, d.length)));
        }
        return ethernet.withRecords(LinkType.RAW, out);
    }

    /** Every timestamp moved by {@code deltaNanos} (negative moves back). */
    public static PcapFile shift(PcapFile file, long deltaNanos) {
        List<PcapFile.Record> out = new ArrayList<>();
        for (PcapFile.Record r : file.records()) out.add(r.withTs(r.tsNanos() + deltaNanos));
        return file.withRecords(file.linkType(), out);
    }

    /**
     * Every frame followed by a copy {@code gapNanos} later, as a capture on {@code any} sees
     * a bridged or bonded packet twice (records kept in time order).
     */
    public static PcapFile everyFrameTwice(PcapFile file, long gapNanos) {
        List<PcapFile.Record> out = new ArrayList<>();
        for (PcapFile.Record r : file.records()) {
            out.add(r);
            out.add(r.withTs(r.tsNanos() + gapNanos));
        }
        out.sort((a, b) -> Long.compare(a.tsNanos(), b.tsNanos()));   // stable: a copy stays after its original
        return file.withRecords(file.linkType(), out);
    }

    /** The capturing host's clock steps by {@code deltaNanos} before record {@code from} (NTP, a resumed VM). */
    public static PcapFile clockStep(PcapFile file, int from, long deltaNanos) {
        List<PcapFile.Record> out = new ArrayList<>(file.records());
        for (int i = from; i < out.size(); i++) out.set(i, out.get(i).withTs(out.get(i).tsNanos() + deltaNanos));
        return file.withRecords(file.linkType(), out);
    }

    /**
     * A capture of one connection, then the same connection again on the same 4-tuple
     * {@code gapNanos} after its end, with every sequence and acknowledgment number moved by
     * {@code isnDelta} (the new ISN behind the old when negative); the first copy's FIN and RST
     * frames are left out, as when the close was lost, so nothing but the new SYN tells the
     * two connections apart.
     */
    public static PcapFile reusedTuple(PcapFile file, int isnDelta, long gapNanos) {
        List<PcapFile.Record> in = file.records();
        long shift = in.getLast().tsNanos() - in.getFirst().tsNanos() + gapNanos;
        PacketView v = new PacketView();
        List<PcapFile.Record> out = new ArrayList<>();
        for (PcapFile.Record r : in) {
            boolean tcp = v.decode(MemorySegment.ofArray(r.data()), 0, r.caplen(), file.linkType()) == PacketView.OK;
            if (!tcp || (v.flags() & (PacketView.FIN | PacketView.RST)) == 0) out.add(r);
        }
        for (PcapFile.Record r : in) {
            byte[] d = r.data().clone();
            if (v.decode(MemorySegment.ofArray(d), 0, d.length, file.linkType()) == PacketView.OK) {
                ByteBuffer b = ByteBuffer.wrap(d);
                int t = v.tcpOffset();
                b.putInt(t + 4, v.seq() + isnDelta);
                if ((v.flags() & PacketView.ACK) != 0) b.putInt(t + 8, v.ack() + isnDelta);
            }
            out.add(new PcapFile.Record(r.tsNanos() + shift, r.origLen(), d));
        }
        return file.withRecords(file.linkType(), out);
    }

    private static void requireEthernet(PcapFile f) {
        if (f.linkType() != LinkType.ETHERNET) {
            throw new IllegalArgumentException("Captures: expected an Ethernet (linktype 1) capture, got linktype " + f.linkType());
        }
    }
}
