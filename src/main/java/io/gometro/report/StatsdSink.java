package io.gometro.report;

import com.timgroup.statsd.NonBlockingStatsDClientBuilder;
import com.timgroup.statsd.ServiceCheck;
import com.timgroup.statsd.StatsDClient;
import com.timgroup.statsd.TagsCardinality;
import io.gometro.config.DogStatsdAddress;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one DogStatsD client of the process, shared by every capture thread (the client is
 * thread-safe). Owns its creation, the retry when the host cannot be resolved, the count of
 * send errors, and its close.
 *
 * <p>Nothing here blocks the caller for long: sends are queued to the client's own threads and
 * dropped when its queue ({@link #QUEUE_GAUGES}) is full; a retry resolves the host on a short-lived background thread,
 * at most one at a time, started at most once per {@link #retryIfDown()} call (once per flush).
 *
 * <p>UDP or a Unix datagram socket ({@link DogStatsdAddress} chooses). A socket is sent to with
 * sendto at every datagram (the client does not connect it), so a socket that is missing, not ours
 * to write, or full loses datagrams on the client's sender thread, counted as send errors and
 * logged once per flush, and an agent that comes back (a new socket at the same path) is reached
 * again with no reconnect.
 *
 * <p>The client is built with telemetry, aggregation and origin detection off and no constant
 * tags, and with the address chosen here (so it never reads DD_AGENT_HOST or
 * DD_DOGSTATSD_URL itself). java-dogstatsd-client 4.4.5 still adds {@code env:}, {@code service:},
 * {@code version:} and {@code dd.internal.entity_id:} tags when DD_ENV, DD_SERVICE, DD_VERSION or
 * DD_ENTITY_ID are set in the environment, and offers no switch for it; we warn when they are.
 */
public final class StatsdSink implements AutoCloseable {
    private static final Logger LOG = LogManager.getLogger(StatsdSink.class);
    private static final String[] TAGGING_ENV = {"DD_ENV", "DD_SERVICE", "DD_VERSION", "DD_ENTITY_ID"};
    /**
     * Gauges the client holds before it drops new ones: three per (src, dst) pair of every
     * instance at one flush, so ~10,900 pairs. The client's default, 4,096, silently lost
     * everything past ~1,365 pairs. Queued gauges are heap objects, so the bound also caps
     * what a flush can hold on the heap.
     */
    public static final int QUEUE_GAUGES = 32_768;
    /**
     * Datagram buffers (1,432 bytes, direct, zero-filled at creation). The default 512 keeps
     * 730 KB resident for a few datagrams every 30 s; 16 still let the client's two threads
     * overlap, and a full queue simply waits for a buffer.
     */
    static final int BUFFER_POOL = 16;

    /** Host resolution, replaceable in tests to make a host become resolvable. */
    @FunctionalInterface
    interface Resolver {
        InetAddress resolve(String host) throws UnknownHostException;
    }

    /** Errors the client reported since the last {@link #drainErrors()}; {@code first} may be null. */
    public record SendErrors(long count, Exception first) {}

    private final DogStatsdAddress address;
    private final Resolver resolver;
    private volatile StatsDClient client;
    private volatile boolean closed;
    private final AtomicBoolean connecting = new AtomicBoolean();
    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong errors = new AtomicLong();
    private final AtomicReference<Exception> firstError = new AtomicReference<>();

    /**
     * Tries once now, resolving the host on the calling thread (call it at start, not on a capture
     * thread); if the host does not resolve, logs it and leaves the retry to the flushes.
     */
    public StatsdSink(DogStatsdAddress address) {
        this(address, InetAddress::getByName);
    }

    /** UDP to {@code host:port}. */
    public StatsdSink(String host, int port) {
        this(DogStatsdAddress.udp(host, port, DogStatsdAddress.FROM_FILE), InetAddress::getByName);
    }

    StatsdSink(String host, int port, Resolver resolver) {
        this(DogStatsdAddress.udp(host, port, DogStatsdAddress.FROM_FILE), resolver);
    }

    private StatsdSink(DogStatsdAddress address, Resolver resolver) {
        if (!address.isUnix() && (address.port() < 1 || address.port() > 65535)) {
            throw new IllegalArgumentException("statsd_port " + address.port() + " is out of range: use 1-65535 (default 8125)");
        }
        this.address = address;
        this.resolver = resolver;
        for (String v : TAGGING_ENV) {
            String val = System.getenv(v);
            if (val != null && !val.isBlank()) {
                LOG.warn("environment variable {}={} makes the DogStatsD client add a tag to every metric; "
                        + "unset it in go-metro's environment to stop this", v, val);
            }
        }
        connect(true);
    }

    /** {@code udp://HOST:PORT} or {@code unix:///PATH}. */
    public String target() {
        return address.url();
    }

    /** The address, and where it came from. */
    public DogStatsdAddress address() {
        return address;
    }

    /** The client, or null while the host is unresolved (or after close). */
    public StatsDClient client() {
        return client;
    }

    /** Creation attempts so far, the one at construction included. */
    public long attempts() {
        return attempts.get();
    }

    /**
     * Called once per flush: without a client, starts one background attempt to create it
     * unless one is already running. Never blocks.
     */
    public void retryIfDown() {
        if (client != null || closed || !connecting.compareAndSet(false, true)) return;
        Thread t = new Thread(() -> {
            try {
                connect(false);
            } finally {
                connecting.set(false);
            }
        }, "go-metro-statsd-connect");
        t.setDaemon(true);
        t.start();
    }

    private void connect(boolean first) {
        attempts.incrementAndGet();
        NonBlockingStatsDClientBuilder b = new NonBlockingStatsDClientBuilder();
        Object addr;
        if (address.isUnix()) {
            b.address(address.url());
            addr = address.socket();
        } else {
            SocketAddress udp;
            try {
                udp = new InetSocketAddress(resolver.resolve(address.host()), address.port());
            } catch (UnknownHostException | SecurityException e) {
                if (first) {
                    LOG.error("DogStatsD host '{}' ({}) cannot be resolved: {}; capture goes on without "
                            + "sending metrics and retries at each flush; fix {}", address.host(), address.origin(),
                            e.getMessage(), address.origin());
                } else {
                    LOG.warn("DogStatsD host '{}' ({}) still cannot be resolved: {}", address.host(), address.origin(),
                            e.getMessage());
                }
                return;
            }
            b.addressLookup(() -> udp);
            addr = udp;
        }
        try {
            StatsDClient c = b
                    .blocking(false)
                    .queueSize(QUEUE_GAUGES)
                    .bufferPoolSize(BUFFER_POOL)
                    .enableTelemetry(false)
                    // no aggregation: each gauge leaves at its flush, and close() has nothing held back
                    .enableAggregation(false)
                    .originDetectionEnabled(false)
                    .tagsCardinality(TagsCardinality.DEFAULT)
                    .constantTags()
                    .errorHandler(this::onError)
                    .build();
            synchronized (this) {
                if (closed) {
                    c.stop();
                    return;
                }
                client = c;
            }
            if (!first) LOG.info("DogStatsD at {} ({}) resolved; sending metrics", target(), addr);
        } catch (RuntimeException e) {
            LOG.warn("DogStatsD client for {} could not be created: {}; retrying at the next flush", target(), e.toString());
        }
    }

    // Called on the client's sender/processor threads.
    private void onError(Exception e) {
        firstError.compareAndSet(null, e);
        errors.incrementAndGet();
    }

    /** Send errors counted and not yet drained (for tests). */
    long pendingErrors() {
        return errors.get();
    }

    /** True while a background creation attempt runs (for tests). */
    boolean retrying() {
        return connecting.get();
    }

    /** Send errors since the previous call, or null if none. */
    public SendErrors drainErrors() {
        long n = errors.getAndSet(0);
        Exception first = firstError.getAndSet(null);
        if (n == 0 && first == null) return null;
        return new SendErrors(Math.max(n, 1), first);
    }

    /** Logs the send errors since the last call, in one line, if there were any. */
    public void logErrors() {
        SendErrors e = drainErrors();
        if (e != null) {
            String hint = !address.isUnix() ? ""
                    : "; metrics are dropped until DogStatsD listens there and the dd-agent user may write to it "
                    + "(Agent 7: dogstatsd_socket in datadog.yaml; or point DD_DOGSTATSD_URL elsewhere)";
            LOG.warn("DogStatsD at {}: {} send errors since the last flush: {}{}", target(), e.count(),
                    String.valueOf(e.first()), hint);
        }
    }

    /**
     * One service check run, queued like a gauge (never blocks). {@code message} goes with a
     * CRITICAL; DogStatsD drops the message of an OK.
     */
    public void serviceCheck(String name, boolean ok, String message, String[] tags) {
        StatsDClient c = client;
        if (c == null) return;
        ServiceCheck.Builder b = ServiceCheck.builder().withName(name)
                .withStatus(ok ? ServiceCheck.Status.OK : ServiceCheck.Status.CRITICAL).withTags(tags);
        if (!ok && message != null) b.withMessage(message);
        c.recordServiceCheckRun(b.build());
    }

    /**
     * Lets the client's threads send what is queued (for at most {@code graceMillis}), then stops it.
     * The non-blocking client stops its threads at once on close, dropping what is still queued;
     * its workers poll every 10 ms, so a short grace delivers the last flush.
     */
    public void close(long graceMillis) {
        StatsDClient c;
        synchronized (this) {
            closed = true;
            c = client;
            client = null;
        }
        if (c == null) return;
        try {
            Thread.sleep(Math.max(0, graceMillis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        c.stop();
        logErrors();
    }

    /** {@link #close(long)} with a 200 ms grace. */
    @Override
    public void close() {
        close(200);
    }
}
