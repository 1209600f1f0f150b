/*
 * tcp-load: TCP traffic for the lab, plus the kernel's own RTT view of it.
 *
 *   tcp-load server [-b ADDR] -p PORT [-w SOCKBUF] [-i MS] [-T SECS]
 *   tcp-load client -c ADDR -p PORT -m bulk -n BYTES [-w SOCKBUF] [-i MS] [-T SECS]
 *   tcp-load client -c ADDR -p PORT -m rr -s REQ -r RESP -k COUNT [-t THINK_MS] ...
 *
 * bulk: the client writes BYTES as fast as the window allows, the server reads
 *       and discards, then closes (so the client's last sample sees all data acked).
 * rr:   COUNT times the client sends REQ bytes and waits for RESP bytes.
 * The client tells the server the mode in a 24-byte header, so the server
 * needs no mode flags. ADDR may be IPv4 or IPv6.
 *
 * Both sides sample TCP_INFO every MS ms (default 10) and at the end, and print
 *   SAMPLE role=R t_ms=T rtt_us=X rttvar_us=V min_rtt_us=M
 *   RESULT role=R mode=M samples=N median_rtt_us=X last_rtt_us=.. rttvar_us=..
 *          min_rtt_us=.. total_retrans=.. bytes_sent=.. bytes_recv=.. duration_ms=..
 * median_rtt_us is the median of the sampled tcpi_rtt (the kernel's smoothed RTT);
 * min_rtt_us is -1 when the kernel's struct has no tcpi_min_rtt.
 * The server prints "READY port=P" once listening, so a harness knows when to start.
 * -T bounds the whole run (default 60 s): a lab must never hang.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/tcp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAGIC 0x544c4431u /* "TLD1" */
enum { MODE_BULK = 1, MODE_RR = 2 };

static const char *role = "client";
static int interval_ms = 10;
static int64_t t0, next_sample;
static uint32_t *rtts;
static size_t nrtt, caprtt;
static uint64_t bytes_sent, bytes_recv;
static struct tcp_info last_ti;
static socklen_t last_ti_len;

static int64_t now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void die(const char *what) { fprintf(stderr, "tcp-load %s: %s: %s\n", role, what, strerror(errno)); exit(1); }

static void sample(int fd) {
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) return;
    last_ti = ti;
    last_ti_len = len;
    /* tcpi_rtt is 0 until the kernel has a measurement: not a sample. */
    if (ti.tcpi_rtt == 0) return;
    long min_rtt = len >= offsetof(struct tcp_info, tcpi_min_rtt) + sizeof ti.tcpi_min_rtt ? (long)ti.tcpi_min_rtt : -1;
    printf("SAMPLE role=%s t_ms=%lld rtt_us=%u rttvar_us=%u min_rtt_us=%ld\n",
           role, (long long)(now_ms() - t0), ti.tcpi_rtt, ti.tcpi_rttvar, min_rtt);
    if (nrtt == caprtt) {
        caprtt = caprtt ? caprtt * 2 : 1024;
        rtts = realloc(rtts, caprtt * sizeof *rtts);
        if (!rtts) die("realloc");
    }
    rtts[nrtt++] = ti.tcpi_rtt;
}

static void sample_if_due(int fd) {
    int64_t now = now_ms();
    if (now >= next_sample) {
        sample(fd);
        while (next_sample <= now) next_sample += interval_ms;
    }
}

/* Wait for events on fd, taking samples on schedule meanwhile; deadline_ms<0: none. */
static int wait_fd(int fd, short events, int64_t deadline_ms) {
    for (;;) {
        sample_if_due(fd);
        int64_t now = now_ms();
        int64_t to = next_sample - now;
        if (deadline_ms >= 0) {
            if (now >= deadline_ms) return 0;
            if (deadline_ms - now < to) to = deadline_ms - now;
        }
        struct pollfd p = { fd, events, 0 };
        int r = poll(&p, 1, to < 0 ? 0 : (int)to);
        if (r < 0 && errno != EINTR) die("poll");
        if (r > 0) return 1;
    }
}

static void write_all(int fd, const unsigned char *buf, size_t len) {
    while (len > 0) {
        wait_fd(fd, POLLOUT, -1);
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n < 0) { if (errno == EAGAIN || errno == EINTR) continue; die("send"); }
        buf += n; len -= (size_t)n; bytes_sent += (uint64_t)n;
    }
}

/* Read exactly len bytes; keep=0 discards them into a scratch buffer of
 * bufsz bytes, keep=1 stores them (buf holds len). Returns 0 on early EOF. */
static int read_all(int fd, unsigned char *buf, size_t bufsz, size_t len, int keep) {
    while (len > 0) {
        wait_fd(fd, POLLIN, -1);
        ssize_t n = recv(fd, buf, len < bufsz ? len : bufsz, 0);
        if (n < 0) { if (errno == EAGAIN || errno == EINTR) continue; die("recv"); }
        if (n == 0) return 0;
        len -= (size_t)n; bytes_recv += (uint64_t)n;
        if (keep) { buf += n; bufsz -= (size_t)n; }
    }
    return 1;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void result(const char *mode) {
    uint32_t median = 0;
    if (nrtt) {
        qsort(rtts, nrtt, sizeof *rtts, cmp_u32);
        median = nrtt % 2 ? rtts[nrtt / 2] : (rtts[nrtt / 2 - 1] + rtts[nrtt / 2]) / 2;
    }
    struct tcp_info *ti = &last_ti;
    long min_rtt = last_ti_len >= offsetof(struct tcp_info, tcpi_min_rtt) + sizeof ti->tcpi_min_rtt ? (long)ti->tcpi_min_rtt : -1;
    printf("RESULT role=%s mode=%s samples=%zu median_rtt_us=%u last_rtt_us=%u rttvar_us=%u min_rtt_us=%ld "
           "total_retrans=%u bytes_sent=%llu bytes_recv=%llu duration_ms=%lld\n",
           role, mode, nrtt, median, ti->tcpi_rtt, ti->tcpi_rttvar, min_rtt, ti->tcpi_total_retrans,
           (unsigned long long)bytes_sent, (unsigned long long)bytes_recv, (long long)(now_ms() - t0));
    fflush(stdout);
}

static struct addrinfo *resolve(const char *host, const char *port, int passive) {
    struct addrinfo hints = {0}, *ai;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
    int e = getaddrinfo(host, port, &hints, &ai);
    if (e) { fprintf(stderr, "tcp-load %s: address %s port %s: %s\n", role, host ? host : "*", port, gai_strerror(e)); exit(1); }
    return ai;
}

static void set_bufs(int fd, int sockbuf) {
    /* Capping the buffers caps the window, hence the send rate: keeps bulk
     * below what the user-space bridge forwards without queueing. */
    if (sockbuf > 0) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sockbuf, sizeof sockbuf);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sockbuf, sizeof sockbuf);
    }
}

static void start_clock(void) { t0 = now_ms(); next_sample = t0; }

static int serve(const char *bind_addr, const char *port, int sockbuf) {
    struct addrinfo *ai = resolve(bind_addr, port, 1);
    int ls = socket(ai->ai_family, SOCK_STREAM, 0);
    if (ls < 0) die("socket");
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    set_bufs(ls, sockbuf); /* inherited by the accepted socket, before the SYN-ACK fixes the window scale */
    if (bind(ls, ai->ai_addr, ai->ai_addrlen) < 0) die("bind");
    if (listen(ls, 4) < 0) die("listen");
    printf("READY port=%s\n", port);
    fflush(stdout);
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) die("accept");
    close(ls);
    start_clock();
    int fl = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &fl, sizeof fl);
    static unsigned char buf[1 << 16];
    unsigned char hdr[24];
    if (!read_all(fd, hdr, sizeof hdr, sizeof hdr, 1)) { fprintf(stderr, "tcp-load server: EOF before header\n"); return 1; }
    uint32_t magic, mode, req, resp;
    uint64_t n;
    memcpy(&magic, hdr, 4); memcpy(&mode, hdr + 4, 4); memcpy(&n, hdr + 8, 8);
    memcpy(&req, hdr + 16, 4); memcpy(&resp, hdr + 20, 4);
    magic = ntohl(magic); mode = ntohl(mode); n = be64toh(n); req = ntohl(req); resp = ntohl(resp);
    if (magic != MAGIC) { fprintf(stderr, "tcp-load server: bad header (not a tcp-load client?)\n"); return 1; }
    if (mode == MODE_BULK) {
        /* Discard until the client's byte count is in, then close: the
         * client waits for our FIN, so its final sample sees everything acked. */
        read_all(fd, buf, sizeof buf, n, 0);
        sample(fd);
        result("bulk");
    } else {
        unsigned char *r = calloc(1, resp ? resp : 1);
        for (uint64_t i = 0; i < n; i++) {
            if (!read_all(fd, buf, sizeof buf, req, 0)) break;
            write_all(fd, r, resp);
        }
        sample(fd);
        result("rr");
    }
    close(fd);
    return 0;
}

static int client(const char *host, const char *port, int mode, uint64_t n, uint32_t req, uint32_t resp,
                  int think_ms, int sockbuf) {
    struct addrinfo *ai = resolve(host, port, 0);
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    set_bufs(fd, sockbuf);
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) die("connect");
    int fl = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &fl, sizeof fl);
    start_clock();
    unsigned char hdr[24];
    uint32_t v;
    uint64_t nn = htobe64(n);
    v = htonl(MAGIC); memcpy(hdr, &v, 4);
    v = htonl((uint32_t)mode); memcpy(hdr + 4, &v, 4);
    memcpy(hdr + 8, &nn, 8);
    v = htonl(req); memcpy(hdr + 16, &v, 4);
    v = htonl(resp); memcpy(hdr + 20, &v, 4);
    write_all(fd, hdr, sizeof hdr);
    static unsigned char buf[1 << 16];
    if (mode == MODE_BULK) {
        uint64_t left = n;
        while (left > 0) {
            size_t chunk = left < sizeof buf ? (size_t)left : sizeof buf;
            write_all(fd, buf, chunk);
            left -= chunk;
        }
        /* Wait for the server's FIN: by then every byte has been acked. */
        while (wait_fd(fd, POLLIN, -1)) {
            ssize_t r = recv(fd, buf, sizeof buf, 0);
            if (r == 0) break;
            if (r < 0 && errno != EAGAIN && errno != EINTR) die("recv");
        }
        sample(fd);
        result("bulk");
    } else {
        unsigned char *q = calloc(1, req ? req : 1);
        for (uint64_t i = 0; i < n; i++) {
            write_all(fd, q, req);
            if (!read_all(fd, buf, sizeof buf, resp, 0)) { fprintf(stderr, "tcp-load client: server closed early\n"); return 1; }
            if (think_ms > 0) wait_fd(fd, 0, now_ms() + think_ms);
        }
        sample(fd);
        result("rr");
    }
    close(fd);
    return 0;
}

static void usage(void) {
    fprintf(stderr,
            "usage: tcp-load server [-b ADDR] -p PORT [-w SOCKBUF] [-i MS] [-T SECS]\n"
            "       tcp-load client -c ADDR -p PORT -m bulk -n BYTES [-w SOCKBUF] [-i MS] [-T SECS]\n"
            "       tcp-load client -c ADDR -p PORT -m rr -s REQ -r RESP -k COUNT [-t THINK_MS] [...]\n");
    exit(2);
}

int main(int argc, char **argv) {
    if (argc < 2) usage();
    int is_server = !strcmp(argv[1], "server");
    if (!is_server && strcmp(argv[1], "client")) usage();
    role = argv[1];
    const char *addr = NULL, *port = NULL, *mode_s = NULL;
    uint64_t n = 0;
    uint32_t req = 100, resp = 1000;
    int think = 0, sockbuf = 0, limit = 60, c;
    optind = 2;
    while ((c = getopt(argc, argv, "b:c:p:m:n:s:r:k:t:w:i:T:")) != -1) {
        switch (c) {
        case 'b': case 'c': addr = optarg; break;
        case 'p': port = optarg; break;
        case 'm': mode_s = optarg; break;
        case 'n': case 'k': n = strtoull(optarg, NULL, 10); break;
        case 's': req = (uint32_t)atol(optarg); break;
        case 'r': resp = (uint32_t)atol(optarg); break;
        case 't': think = atoi(optarg); break;
        case 'w': sockbuf = atoi(optarg); break;
        case 'i': interval_ms = atoi(optarg); break;
        case 'T': limit = atoi(optarg); break;
        default: usage();
        }
    }
    if (!port || interval_ms <= 0) usage();
    alarm((unsigned)limit); /* default SIGALRM action kills us: bounded run */
    /* The delay we claim must not be stretched by a busy machine (parallel
     * builds): a real-time class wakes us on time. Best effort if not root. */
    {
        struct sched_param sp = { .sched_priority = 10 };
        if (getenv("LAB_NO_RT") == NULL && sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
            fprintf(stderr, "note: no SCHED_FIFO (%s); timing may suffer under load\n", strerror(errno));
        /* default timer slack (50 us) would blur it too */
        prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    }
    if (is_server) return serve(addr, port, sockbuf);
    if (!addr || !mode_s) usage();
    int mode = !strcmp(mode_s, "bulk") ? MODE_BULK : !strcmp(mode_s, "rr") ? MODE_RR : 0;
    if (!mode || n == 0) usage();
    return client(addr, port, mode, n, req, resp, think, sockbuf);
}
