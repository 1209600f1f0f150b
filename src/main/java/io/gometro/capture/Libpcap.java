package io.gometro.capture;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * Finds the system libpcap once and shares it between pcap4j (JNA) and our FFM bindings.
 *
 * <p>Debian ships the runtime library only as {@code libpcap.so.0.8} and RHEL as
 * {@code libpcap.so.1}; the unversioned {@code libpcap.so} that pcap4j asks for by default
 * exists only with the -dev package. So we pick the name here and hand it to pcap4j through
 * {@code org.pcap4j.core.pcapLibName}, which pcap4j reads once when its NativeMappings class
 * loads: {@link #ensureLoaded()} must run before any pcap4j class is touched.
 */
public final class Libpcap {
    /** Names tried in order: Debian/Ubuntu runtime, RHEL/Fedora runtime, the -dev symlink. */
    public static final List<String> NAMES = List.of("libpcap.so.0.8", "libpcap.so.1", "libpcap.so");

    /** The system property pcap4j 1.8 reads for the library name. */
    public static final String PCAP4J_LIB_PROPERTY = "org.pcap4j.core.pcapLibName";

    private static volatile Libpcap instance;
    private static volatile CaptureException failure;

    final String name;
    /**
     * int pcap_next_ex(pcap_t *, struct pcap_pkthdr **, const u_char **), its three pointers
     * passed as raw 64-bit addresses (JAVA_LONG; LP64 only, as everything here). With ADDRESS
     * parameters every call acquired and released the arguments' shared arena (two atomic
     * updates) and checked each segment: ~5% of the per-packet CPU under C1. The handle keeps
     * its own guard against a close under a running loop instead (LibpcapSource, MappedFileSource).
     * An ordinary downcall: Linker.Option.critical(false) for offline reads measured 7.18 vs
     * 6.94 M packets/s (9 runs each, ranges overlapping), too small a gain to justify calls
     * that hold off GC safepoints.
     */
    final MethodHandle nextEx;
    /** int pcap_get_tstamp_precision(pcap_t *) (libpcap >= 1.5), or null if absent. */
    final MethodHandle getTstampPrecision;
    /** int pcap_get_selectable_fd(pcap_t *). */
    private final Lazy getSelectableFd = new Lazy(false, "pcap_get_selectable_fd", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    MethodHandle getSelectableFd() { return getSelectableFd.get(); }
    /** libc int poll(struct pollfd *, nfds_t, int): waits for a live handle with our own timeout. */
    private final Lazy poll = new Lazy(true, "poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    MethodHandle poll() { return poll.get(); }

    // Offline handles are opened with FFM alone, so analysis mode and file replays never load
    // pcap4j, JNA, slf4j or log4j (about 0.4 s and 20 MB of metaspace at start-up otherwise).
    /** pcap_t *pcap_open_offline_with_tstamp_precision(const char *, u_int, char *errbuf) (libpcap >= 1.5), or null. */
    final MethodHandle openOfflinePrecision;
    /** pcap_t *pcap_open_offline(const char *, char *errbuf): older libpcap, µs timestamps. */
    private final Lazy openOffline = new Lazy(false, "pcap_open_offline", FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));
    MethodHandle openOffline() { return openOffline.get(); }
    /** int pcap_datalink(pcap_t *). */
    final MethodHandle datalink;
    /** int pcap_compile(pcap_t *, struct bpf_program *, const char *, int optimize, bpf_u_int32 netmask). */
    private final Lazy compile = new Lazy(false, "pcap_compile", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
    MethodHandle compile() { return compile.get(); }
    /** pcap_t *pcap_open_dead(int linktype, int snaplen): a handle to compile filters on, to size them. */
    private final Lazy openDead = new Lazy(false, "pcap_open_dead", FunctionDescriptor.of(ADDRESS, JAVA_INT, JAVA_INT));
    MethodHandle openDead() { return openDead.get(); }
    /** int pcap_setfilter(pcap_t *, struct bpf_program *). */
    private final Lazy setfilter = new Lazy(false, "pcap_setfilter", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    MethodHandle setfilter() { return setfilter.get(); }
    /** int pcap_offline_filter(const struct bpf_program *, const struct pcap_pkthdr *, const u_char *): mapped files with -f. */
    private final Lazy offlineFilter = new Lazy(false, "pcap_offline_filter",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    MethodHandle offlineFilter() { return offlineFilter.get(); }
    /** libc int madvise(void *, size_t, int): drops the pages a mapped capture file has been read past. */
    private final Lazy madvise = new Lazy(true, "madvise", FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_INT));
    MethodHandle madvise() { return madvise.get(); }
    /** void pcap_freecode(struct bpf_program *). */
    private final Lazy freecode = new Lazy(false, "pcap_freecode", FunctionDescriptor.ofVoid(ADDRESS));
    MethodHandle freecode() { return freecode.get(); }
    /** char *pcap_geterr(pcap_t *). */
    private final Lazy geterr = new Lazy(false, "pcap_geterr", FunctionDescriptor.of(ADDRESS, ADDRESS));
    MethodHandle geterr() { return geterr.get(); }
    /** void pcap_close(pcap_t *). */
    final MethodHandle close;
    /** FILE *pcap_file(pcap_t *). */
    private final Lazy file = new Lazy(false, "pcap_file", FunctionDescriptor.of(ADDRESS, ADDRESS));
    MethodHandle file() { return file.get(); }
    /** libc int setvbuf(FILE *, char *, int mode, size_t). */
    private final Lazy setvbuf = new Lazy(true, "setvbuf", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_LONG));
    MethodHandle setvbuf() { return setvbuf.get(); }

    private final SymbolLookup lookup;

    /**
     * A downcall bound on first use: every binding generates classes at start-up, and these
     * are needed only by live handles, error paths or big files.
     */
    private final class Lazy {
        private final boolean libc;
        private final String name;
        private final FunctionDescriptor fd;
        private MethodHandle handle;

        Lazy(boolean libc, String name, FunctionDescriptor fd) {
            this.libc = libc;
            this.name = name;
            this.fd = fd;
        }

        MethodHandle get() {
            MethodHandle h = handle;
            return h != null ? h : (handle = bind(libc, name, fd));
        }
    }

    /**
     * Binds a function on first use. Every downcall handle of a new shape spins lambda forms and a
     * stub class at run time (the AOT cache cannot hold them, ~5-10 ms each at start-up), so only
     * what analysis mode needs is bound eagerly; the live-only and error-path functions wait.
     */
    private MethodHandle bind(boolean libc, String symbol, FunctionDescriptor d) {
        Linker linker = Linker.nativeLinker();
        SymbolLookup l = libc ? linker.defaultLookup() : lookup;
        return linker.downcallHandle(l.find(symbol).orElseThrow(
                () -> new IllegalStateException(name + ": no symbol " + symbol)), d);
    }

    private Libpcap(String name, SymbolLookup lookup) {
        this.name = name;
        this.lookup = lookup;
        Linker linker = Linker.nativeLinker();
        FunctionDescriptor nextDesc = FunctionDescriptor.of(JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG);
        this.nextEx = linker.downcallHandle(lookup.find("pcap_next_ex").orElseThrow(), nextDesc);
        Optional<MemorySegment> prec = lookup.find("pcap_get_tstamp_precision");
        this.getTstampPrecision = prec.map(s -> linker.downcallHandle(s, FunctionDescriptor.of(JAVA_INT, ADDRESS)))
                .orElse(null);
        this.openOfflinePrecision = lookup.find("pcap_open_offline_with_tstamp_precision")
                .map(a -> linker.downcallHandle(a, FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, ADDRESS)))
                .orElse(null);
        this.datalink = linker.downcallHandle(lookup.find("pcap_datalink").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS));
        this.close = linker.downcallHandle(lookup.find("pcap_close").orElseThrow(),
                FunctionDescriptor.ofVoid(ADDRESS));
    }

    /** The library name in use (one of {@link #NAMES}, or what the user set in the pcap4j property). */
    public String name() { return name; }

    /**
     * Loads libpcap (once) and points pcap4j at it. Call before using any pcap4j class.
     *
     * @throws CaptureException when no libpcap can be loaded; the message lists the names tried
     */
    public static Libpcap ensureLoaded() throws CaptureException {
        Libpcap l = instance;
        if (l != null) return l;
        synchronized (Libpcap.class) {
            if (instance != null) return instance;
            if (failure != null) throw failure;
            // An operator may force a library (e.g. an absolute path) through the pcap4j property; honour it.
            String forced = System.getProperty(PCAP4J_LIB_PROPERTY);
            List<String> candidates = forced != null && !forced.isBlank() ? List.of(forced) : NAMES;
            try {
                Libpcap loaded = load(candidates);
                System.setProperty(PCAP4J_LIB_PROPERTY, loaded.name);
                instance = loaded;
                return loaded;
            } catch (CaptureException e) {
                failure = e;
                throw e;
            }
        }
    }

    /** Loads the first of {@code candidates} that dlopen finds and that exports pcap_next_ex. No global effect. */
    static Libpcap load(List<String> candidates) throws CaptureException {
        for (String candidate : candidates) {
            SymbolLookup lookup;
            try {
                // The global arena: the library stays loaded for the life of the process, like JNA's copy.
                lookup = SymbolLookup.libraryLookup(candidate, Arena.global());
            } catch (IllegalArgumentException notFound) {
                continue;
            }
            if (lookup.find("pcap_next_ex").isEmpty()) continue;
            return new Libpcap(candidate, lookup);
        }
        throw new CaptureException("libpcap not found (tried " + String.join(", ", candidates)
                + "): install libpcap (Debian/Ubuntu: apt-get install libpcap0.8; RHEL/CentOS: yum install libpcap)",
                false);
    }
}
