package io.gometro.flow;

import io.gometro.decode.LinkType;
import io.gometro.testutil.Captures;
import io.gometro.testutil.PcapFile;
import io.gometro.testutil.Shared;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * FieldCasesTest's cases on long public captures (../shared/realworld), with the bar: every
 * frame seen twice, the clock stepped back 30 s and forward 600 s in the middle, and (for captures of
 * one connection) the 4-tuple reused with the new ISN behind and ahead, each give the clean capture's
 * samples within 5% and its p50 within 2%, with no sample outside its [min, max].
 */
class PublicCaptureCasesIT {
    private static final long S = 1_000_000_000L;

    private static PcapFile read(String name) throws IOException {
        return PcapFile.read(Shared.realworld(name));
    }

    @ParameterizedTest
    @ValueSource(strings = {"zeek_ssh_ssh_kex_mlkem.pcap", "suricata_bug-5162.pcap", "zeek_modbus_modbusBig.pcap",
            "suricata_smb2-async-read.pcap", "zeek_smb_smb2_100_small_files.pcap", "suricata_issue-4220-01-ids_1flowB.pcap",
            "zeek_http_no_crlf.pcap", "pcapplusplus_sll.pcap", "suricata_decode-sll2-02.pcap"})
    void copiesAndClockStepsGiveTheCleanSamples(String name) throws IOException {
        PcapFile clean = read(name);
        LocalPolicy all = LocalPolicy.everyone();
        FieldCasesTest.Result c = FieldCasesTest.track(clean, all);
        FieldCasesTest.Result twice = FieldCasesTest.track(Captures.everyFrameTwice(clean, 2_000), all);
        assertEquals(c.samples(), twice.samples(), name + ": clean " + c + "; twice " + twice);
        int mid = clean.records().size() / 2;
        FieldCasesTest.assertLikeClean(c, FieldCasesTest.track(Captures.clockStep(clean, mid, -30 * S), all), 1,
                name + ", clock stepped back 30 s");
        FieldCasesTest.assertLikeClean(c, FieldCasesTest.track(Captures.clockStep(clean, mid, 600 * S), all), 1,
                name + ", clock stepped forward 600 s");
        if (clean.linkType() == LinkType.ETHERNET) {
            assertEquals(c, FieldCasesTest.track(Captures.vlan(clean, 42), all), name + " 802.1Q");
            assertEquals(c, FieldCasesTest.track(Captures.qinq(clean, 7, 42), all), name + " QinQ");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"zeek_ssh_ssh_kex_mlkem.pcap", "suricata_smb2-async-read.pcap",
            "zeek_smb_smb2_100_small_files.pcap", "suricata_issue-4220-01-ids_1flowB.pcap", "zeek_http_no_crlf.pcap"})
    void aReusedTupleIsMeasuredAsANewConnection(String name) throws IOException {
        PcapFile clean = read(name);
        FieldCasesTest.Result c = FieldCasesTest.track(clean, LocalPolicy.everyone());
        for (int delta : new int[] {-1_000_000, 1_000_000_000}) {
            FieldCasesTest.assertLikeClean(c, FieldCasesTest.track(Captures.reusedTuple(clean, delta, 2 * S),
                    LocalPolicy.everyone()), 2, name + ", 4-tuple reused, ISN moved by " + delta);
        }
    }
}
