/*
 * The reference for the throughput targets: the bare libpcap read loop that any capture
 * program pays for, with nothing done per packet but counting.
 *
 *   pcaploop FILE.pcap [FILTER]      offline: read the file, print "<n> packets"
 *   pcaploop -i IFACE [FILTER]       live: capture until SIGTERM/SIGINT, then print
 *                                    "<n> packets <recv> recv <drop> drop <ifdrop> ifdrop
 *                                     <cpu_us> cpu_us" (pcap_stats and our own CPU time)
 * FILTER defaults to "tcp", as in the issue. The bench times the whole offline process,
 * exactly as it times go-metro, so both pay their start-up and the reading of the file.
 * Built by scripts/bench/run with: gcc -O2 -o pcaploop pcaploop.c -lpcap
 */
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

static pcap_t *p;

static void stop(int sig) { (void) sig; pcap_breakloop(p); }

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    struct bpf_program prog;
    struct pcap_pkthdr *hdr;
    const u_char *data;
    unsigned long long packets = 0;
    volatile u_char sink __attribute__((unused));
    int live = argc >= 3 && strcmp(argv[1], "-i") == 0;
    int first = live ? 2 : 1;
    int rc;

    if (argc < first + 1 || argc > first + 2) {
        fprintf(stderr, "usage: %s FILE.pcap [FILTER] | %s -i IFACE [FILTER]\n", argv[0], argv[0]);
        return 2;
    }
    const char *filter = argc == first + 2 ? argv[first + 1] : "tcp";
    if (live) {
        /* As the daemon would: snaplen 512, a 1 s read timeout, a 32 MB kernel buffer. */
        p = pcap_create(argv[first], err);
        if (p == NULL || pcap_set_snaplen(p, 512) || pcap_set_timeout(p, 1000)
                || pcap_set_buffer_size(p, 32 << 20) || pcap_activate(p) < 0) {
            fprintf(stderr, "pcaploop: %s: %s\n", argv[first], p ? pcap_geterr(p) : err);
            return 1;
        }
        signal(SIGTERM, stop);
        signal(SIGINT, stop);
    } else {
        p = pcap_open_offline(argv[first], err);
        if (p == NULL) {
            fprintf(stderr, "pcaploop: %s: %s\n", argv[first], err);
            return 1;
        }
    }
    if (pcap_compile(p, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
        fprintf(stderr, "pcaploop: filter \"%s\": %s\n", filter, pcap_geterr(p));
        return 1;
    }
    if (live) {
        printf("ready\n");
        fflush(stdout);
    }
    while ((rc = pcap_next_ex(p, &hdr, &data)) >= 0) {
        if (rc == 0) continue; /* live read timeout */
        packets++;
        sink = data[0]; /* touch the packet, as any consumer must */
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcaploop: %s: %s\n", argv[first], pcap_geterr(p));
        return 1;
    }
    if (live) {
        struct pcap_stat st;
        struct rusage ru;
        if (pcap_stats(p, &st) != 0) {
            fprintf(stderr, "pcaploop: stats: %s\n", pcap_geterr(p));
            return 1;
        }
        getrusage(RUSAGE_SELF, &ru);
        long long cpu = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL
                + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
        printf("%llu packets %u recv %u drop %u ifdrop %lld cpu_us\n",
               packets, st.ps_recv, st.ps_drop, st.ps_ifdrop, cpu);
    } else {
        printf("%llu packets\n", packets);
    }
    pcap_close(p);
    return 0;
}
