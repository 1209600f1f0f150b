/*
 * sigblock PROGRAM ARGV0 [ARG...]
 *
 * Blocks SIGHUP, SIGINT, SIGQUIT and SIGTERM, then execv()s PROGRAM with
 * argv[0] = ARGV0 and the remaining arguments. A blocked signal mask survives
 * execve and is inherited by every thread the new program creates, so the
 * JVM (started with -Xrs, which makes HotSpot leave these four signals alone)
 * never has them delivered asynchronously: they stay pending until the
 * daemon's signal thread takes them with sigtimedwait (io.gometro.app). That
 * is the only way to get SIGQUIT too, which HotSpot otherwise keeps for
 * thread dumps, and it runs no Java code inside a signal handler.
 *
 * Their dispositions are reset to SIG_DFL first: a shell's background job
 * starts with SIGINT and SIGQUIT ignored, nohup ignores SIGHUP, and Go's
 * signal.Notify (the original go-metro) took them regardless. (Linux queues a
 * blocked signal even when ignored, but we do not rely on that.)
 *
 * Also sets argv[0], which POSIX sh (dash) cannot do (no `exec -a`).
 *
 * Built static-pie (scripts/build-tree): no glibc symbol versions to satisfy, so
 * it runs on any x86_64 Linux the bundled runtime runs on (glibc >= 2.17).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    static const int stop[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    sigset_t set;
    unsigned i;

    if (argc < 3) {
        fputs("usage: sigblock PROGRAM ARGV0 [ARG...]\n"
              "  runs PROGRAM with SIGHUP, SIGINT, SIGQUIT and SIGTERM blocked\n", stderr);
        return 2;
    }
    sigemptyset(&set);
    for (i = 0; i < sizeof stop / sizeof stop[0]; i++)
        sigaddset(&set, stop[i]);
    /* Block first, then reset: no window in which SIG_DFL could kill us. */
    if (sigprocmask(SIG_BLOCK, &set, NULL) != 0) {
        perror("go-metro: sigblock: sigprocmask");
        return 1;
    }
    for (i = 0; i < sizeof stop / sizeof stop[0]; i++)
        signal(stop[i], SIG_DFL);
    execv(argv[1], argv + 2);
    fprintf(stderr, "go-metro: sigblock: cannot execute %s: %s\n", argv[1], strerror(errno));
    return 127;
}
