package io.gometro.testutil;

import io.gometro.decode.PacketView;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable copy of what {@link PacketView} decoded, for comparing packets in tests
 * (the view itself is a flyweight overwritten by the next decode). Link-independent: it
 * leaves out the offsets, so the same packet on Ethernet, SLL or RAW gives equal values.
 *
 * @param result the {@link PacketView#decode} result; the other fields are zero unless OK
 */
public record DecodedPacket(int result, int ipVersion, long srcHi, long srcLo, long dstHi, long dstLo,
        int srcPort, int dstPort, int seq, int ack, int flags, int window, int payloadLength,
        boolean hasTimestamps, int tsVal, int tsEcr, int mss, int windowScale, boolean sackPermitted,
        int[] sackLeft, int[] sackRight) {

    /** Decodes {@code data} (whole array) as a packet of {@code linkType}. */
    public static DecodedPacket decode(byte[] data, int linkType) {
        PacketView v = new PacketView();
        return of(v.decode(MemorySegment.ofArray(data), 0, data.length, linkType), v);
    }

    /** Decodes every record of {@code file}, in order. */
    public static List<DecodedPacket> decodeAll(PcapFile file) {
        PacketView v = new PacketView();
        List<DecodedPacket> out = new ArrayList<>();
        for (PcapFile.Record r : file.records()) {
            out.add(of(v.decode(MemorySegment.ofArray(r.data()), 0, r.caplen(), file.linkType()), v));
        }
        return out;
    }

    /** A copy of {@code v} after a decode that returned {@code result}. */
    public static DecodedPacket of(int result, PacketView v) {
        if (result != PacketView.OK) {
            return new DecodedPacket(result, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, 0, 0, 0, 0, false,
                    new int[0], new int[0]);
        }
        int n = v.sackCount();
        int[] l = new int[n], r = new int[n];
        for (int i = 0; i < n; i++) { l[i] = v.sackLeft(i); r[i] = v.sackRight(i); }
        return new DecodedPacket(result, v.ipVersion(), v.srcHi(), v.srcLo(), v.dstHi(), v.dstLo(),
                v.srcPort(), v.dstPort(), v.seq(), v.ack(), v.flags(), v.window(), v.payloadLength(),
                v.hasTimestamps(), v.tsVal(), v.tsEcr(), v.mss(), v.windowScale(), v.sackPermitted(), l, r);
    }

    public boolean ok() { return result == PacketView.OK; }

    // Records compare arrays by identity; compare the SACK blocks by content.
    @Override public boolean equals(Object o) {
        return o instanceof DecodedPacket d && toString().equals(d.toString());
    }

    @Override public int hashCode() { return toString().hashCode(); }

    @Override public String toString() {
        return "DecodedPacket[" + PacketView.resultName(result) + " v" + ipVersion
                + " " + Long.toHexString(srcHi) + "/" + Long.toHexString(srcLo) + ":" + srcPort
                + " > " + Long.toHexString(dstHi) + "/" + Long.toHexString(dstLo) + ":" + dstPort
                + " seq=" + Integer.toUnsignedString(seq) + " ack=" + Integer.toUnsignedString(ack)
                + " flags=0x" + Integer.toHexString(flags) + " win=" + window + " len=" + payloadLength
                + (hasTimestamps ? " ts=" + Integer.toUnsignedString(tsVal) + "/" + Integer.toUnsignedString(tsEcr) : "")
                + " mss=" + mss + " ws=" + windowScale + (sackPermitted ? " sackOK" : "")
                + " sack=" + Arrays.toString(sackLeft) + Arrays.toString(sackRight) + "]";
    }
}
