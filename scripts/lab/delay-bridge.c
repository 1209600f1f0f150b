/*
 * delay-bridge: a user-space stand-in for netem (this kernel has none).
 *
 * Runs in the middle namespace of   a <-veth-> m <-veth-> b   and copies every
 * frame seen on one interface to the other after a fixed one-way delay, so a
 * TCP connection between a and b has RTT = delay(a->b) + delay(b->a), known
 * exactly, with optional uniform jitter (+-J ms) that may or may not reorder.
 *
 * usage: delay-bridge -1 IF1 -2 IF2 -d MS_1TO2 [-D MS_2TO1] [-j JITTER_MS]
 *                     [-r] [-q QUEUE_FRAMES] [-s SEED]
 *   -r   jitter may reorder frames (each frame its own deadline); without it
 *        frames stay FIFO: deadline = max(previous deadline, now + delay).
 *
 * Large frames: the lab turns TSO/GSO/GRO off on every veth (ethtool), so
 * frames are at most MTU-sized like on a real wire and tcpdump in ns a sees
 * what a NIC would carry. The receive buffer is still 64 KiB + slack so that
 * a super-frame, should offloads be on anyway, is read whole and its failure
 * to send is counted (tx_err) rather than silently truncated.
 *
 * On SIGTERM/SIGINT it prints its counters on stdout and exits 0.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sched.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAME (65536 + 512)

struct frame {
    int64_t deadline_ns;
    uint64_t seq;      /* arrival order: ties and reorder counting */
    uint32_t len;
    unsigned char *data;
};

/* One min-heap per direction keyed by (deadline, seq). In FIFO mode the
 * deadlines never decrease, so the heap degenerates to arrival order; one
 * structure serves both modes. */
struct dir {
    int in_fd, out_fd;
    int64_t delay_ns;
    int64_t last_deadline_ns;
    struct frame *heap;
    size_t n, cap;
    uint64_t next_seq, last_sent_seq;
    int sent_any;
    /* counters */
    uint64_t rx, tx, drops, tx_err, reordered, max_depth;
    const char *name;
};

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int before(const struct frame *x, const struct frame *y) {
    return x->deadline_ns < y->deadline_ns ||
           (x->deadline_ns == y->deadline_ns && x->seq < y->seq);
}

static void heap_push(struct dir *d, struct frame f) {
    size_t i = d->n++;
    d->heap[i] = f;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&d->heap[i], &d->heap[p])) break;
        struct frame t = d->heap[i]; d->heap[i] = d->heap[p]; d->heap[p] = t;
        i = p;
    }
}

static struct frame heap_pop(struct dir *d) {
    struct frame top = d->heap[0];
    d->heap[0] = d->heap[--d->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < d->n && before(&d->heap[l], &d->heap[m])) m = l;
        if (r < d->n && before(&d->heap[r], &d->heap[m])) m = r;
        if (m == i) break;
        struct frame t = d->heap[i]; d->heap[i] = d->heap[m]; d->heap[m] = t;
        i = m;
    }
    return top;
}

static int open_if(const char *ifname) {
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK, htons(ETH_P_ALL));
    if (fd < 0) { perror("socket(AF_PACKET)"); exit(2); }
    unsigned idx = if_nametoindex(ifname);
    if (!idx) { fprintf(stderr, "delay-bridge: no interface %s\n", ifname); exit(2); }
    struct sockaddr_ll sll = {0};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int)idx;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("bind"); exit(2); }
    /* Frames are addressed to b's MAC, not ours: promiscuous or we miss them. */
    struct packet_mreq mr = {0};
    mr.mr_ifindex = (int)idx;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
        perror("PACKET_ADD_MEMBERSHIP"); exit(2);
    }
    /* A bulk burst arrives faster than one poll round; let the kernel hold it. */
    int buf = 8 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof buf);
    return fd;
}

static double jitter_ms;
static unsigned long long sock_errs;
static int reorder;

/* uniform in [-J, +J] ms, as ns */
static int64_t jitter_ns(void) {
    if (jitter_ms <= 0) return 0;
    double u = (double)random() / (double)RAND_MAX;   /* [0,1] */
    return (int64_t)((2.0 * u - 1.0) * jitter_ms * 1e6);
}

static unsigned char rxbuf[MAX_FRAME];

static void receive(struct dir *d) {
    for (;;) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(d->in_fd, rxbuf, sizeof rxbuf, 0, (struct sockaddr *)&from, &fl);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) perror("recvfrom");
            return;
        }
        /* Our own sends on this interface come back as OUTGOING: forwarding
         * them would loop frames forever. */
        if (from.sll_pkttype == PACKET_OUTGOING) continue;
        d->rx++;
        if (d->n >= d->cap) { d->drops++; continue; }
        int64_t now = now_ns();
        int64_t dl = now + d->delay_ns + jitter_ns();
        if (dl < now) dl = now;
        if (!reorder && dl < d->last_deadline_ns) dl = d->last_deadline_ns;
        d->last_deadline_ns = dl;
        unsigned char *copy = malloc((size_t)n);
        if (!copy) { d->drops++; continue; }
        memcpy(copy, rxbuf, (size_t)n);
        struct frame f = { dl, d->next_seq++, (uint32_t)n, copy };
        heap_push(d, f);
        if (d->n > d->max_depth) d->max_depth = d->n;
    }
}

static void release(struct dir *d, int64_t now) {
    while (d->n > 0 && d->heap[0].deadline_ns <= now) {
        struct frame f = heap_pop(d);
        if (send(d->out_fd, f.data, f.len, 0) < 0) d->tx_err++;
        else d->tx++;
        if (d->sent_any && f.seq < d->last_sent_seq) d->reordered++;
        if (!d->sent_any || f.seq > d->last_sent_seq) d->last_sent_seq = f.seq;
        d->sent_any = 1;
        free(f.data);
    }
}

static void usage(void) {
    fprintf(stderr, "usage: delay-bridge -1 IF1 -2 IF2 -d MS_1TO2 [-D MS_2TO1] [-j JITTER_MS] [-r] [-q FRAMES] [-s SEED]\n");
    exit(2);
}

int main(int argc, char **argv) {
    const char *if1 = NULL, *if2 = NULL;
    double d12 = -1, d21 = -1;
    size_t qcap = 16384;
    unsigned seed = (unsigned)getpid();
    int c;
    while ((c = getopt(argc, argv, "1:2:d:D:j:rq:s:")) != -1) {
        switch (c) {
        case '1': if1 = optarg; break;
        case '2': if2 = optarg; break;
        case 'd': d12 = atof(optarg); break;
        case 'D': d21 = atof(optarg); break;
        case 'j': jitter_ms = atof(optarg); break;
        case 'r': reorder = 1; break;
        case 'q': qcap = (size_t)atol(optarg); break;
        case 's': seed = (unsigned)atol(optarg); break;
        default: usage();
        }
    }
    if (!if1 || !if2 || d12 < 0 || qcap == 0) usage();
    if (d21 < 0) d21 = d12;
    srandom(seed);

    /* The delay we claim must not be stretched by a busy machine (parallel
     * builds): a real-time class wakes us on time. Best effort if not root. */
    {
        struct sched_param sp = { .sched_priority = 10 };
        if (getenv("LAB_NO_RT") == NULL && sched_setscheduler(0, SCHED_FIFO, &sp) < 0)
            fprintf(stderr, "note: no SCHED_FIFO (%s); timing may suffer under load\n", strerror(errno));
        /* default timer slack (50 us) would blur it too */
        prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    int fd1 = open_if(if1), fd2 = open_if(if2);
    struct dir dirs[2] = {
        { .in_fd = fd1, .out_fd = fd2, .delay_ns = (int64_t)(d12 * 1e6), .cap = qcap, .name = "1to2" },
        { .in_fd = fd2, .out_fd = fd1, .delay_ns = (int64_t)(d21 * 1e6), .cap = qcap, .name = "2to1" },
    };
    for (int i = 0; i < 2; i++) {
        dirs[i].heap = calloc(qcap, sizeof(struct frame));
        if (!dirs[i].heap) { perror("calloc"); return 2; }
    }
    printf("READY %s<->%s delay_ms=%.3f/%.3f jitter_ms=%.3f reorder=%d queue=%zu\n",
           if1, if2, d12, d21, jitter_ms, reorder, qcap);
    fflush(stdout);

    struct pollfd pfd[2] = { { fd1, POLLIN, 0 }, { fd2, POLLIN, 0 } };
    while (!stop) {
        int64_t now = now_ns();
        release(&dirs[0], now);
        release(&dirs[1], now);
        /* Sleep until the earliest deadline, or a bounded 100 ms if idle so a
         * signal is noticed promptly even if ppoll was not interrupted. */
        int64_t wait = 100000000LL;
        for (int i = 0; i < 2; i++)
            if (dirs[i].n > 0) {
                int64_t w = dirs[i].heap[0].deadline_ns - now;
                if (w < wait) wait = w < 0 ? 0 : w;
            }
        struct timespec ts = { wait / 1000000000LL, wait % 1000000000LL };
        int r = ppoll(pfd, 2, &ts, NULL);
        if (r < 0 && errno != EINTR) { perror("ppoll"); break; }
        if (r > 0)
            for (int i = 0; i < 2; i++) {
                /* A pending socket error (e.g. a failed send) keeps POLLERR
                 * raised until read: clear it or ppoll spins at 100% CPU. */
                if (pfd[i].revents & POLLERR) {
                    int err = 0;
                    socklen_t el = sizeof err;
                    getsockopt(pfd[i].fd, SOL_SOCKET, SO_ERROR, &err, &el);
                    if (err && sock_errs++ < 5) fprintf(stderr, "delay-bridge: socket error: %s\n", strerror(err));
                }
                if (pfd[i].revents & POLLIN) receive(&dirs[i]);
            }
    }
    for (int i = 0; i < 2; i++) {
        struct dir *d = &dirs[i];
        printf("COUNTERS dir=%s rx=%llu tx=%llu drops=%llu tx_err=%llu reordered=%llu max_depth=%llu queued_at_exit=%zu\n",
               d->name, (unsigned long long)d->rx, (unsigned long long)d->tx,
               (unsigned long long)d->drops, (unsigned long long)d->tx_err,
               (unsigned long long)d->reordered, (unsigned long long)d->max_depth, d->n);
    }
    printf("COUNTERS sock_errors=%llu\n", sock_errs);
    fflush(stdout);
    return 0;
}
