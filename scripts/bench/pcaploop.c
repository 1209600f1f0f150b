/*
 * The reference for the offline throughput target: the bare libpcap read loop that any
 * capture program pays for, with nothing done per packet but counting.
 *
 *   pcaploop FILE.pcap [FILTER]     (FILTER defaults to "tcp", as in the issue)
 *
 * Prints "<packets> packets" on stdout. The bench times the whole process, exactly as it
 * times go-metro, so both pay their start-up and the reading of the file.
 * Built by scripts/bench/run with: gcc -O2 -o pcaploop pcaploop.c -lpcap
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    struct bpf_program prog;
    struct pcap_pkthdr *hdr;
    const u_char *data;
    unsigned long long packets = 0;
    volatile u_char sink __attribute__((unused));
    int rc;

    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s FILE.pcap [FILTER]\n", argv[0]);
        return 2;
    }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (p == NULL) {
        fprintf(stderr, "pcaploop: %s: %s\n", argv[1], err);
        return 1;
    }
    if (pcap_compile(p, &prog, argc == 3 ? argv[2] : "tcp", 1, PCAP_NETMASK_UNKNOWN) != 0
            || pcap_setfilter(p, &prog) != 0) {
        fprintf(stderr, "pcaploop: filter: %s\n", pcap_geterr(p));
        return 1;
    }
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        packets++;
        sink = data[0]; /* touch the packet, as any consumer must */
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcaploop: %s: %s\n", argv[1], pcap_geterr(p));
        return 1;
    }
    printf("%llu packets\n", packets);
    pcap_close(p);
    return 0;
}
