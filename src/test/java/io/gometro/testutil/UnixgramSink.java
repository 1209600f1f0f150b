package io.gometro.testutil;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real DogStatsD Unix datagram socket, as Agent 7 offers it (/var/run/datadog/dsd.socket). The JDK
 * binds no AF_UNIX datagram socket, so python3 (installed by scripts/setup) holds it and prints each
 * datagram's lines; they are read here. The socket is mode 0666 so that a daemon running as dd-agent
 * may write to it.
 */
public final class UnixgramSink implements AutoCloseable {
    private static final String SCRIPT = """
            import os, socket, sys
            p = sys.argv[1]
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(p)
            os.chmod(p, 0o666)
            print("ready", flush=True)
            while True:
                d = s.recv(65536).decode("utf-8", "replace")
                for l in d.split("\\n"):
                    if l:
                        print(l, flush=True)
            """;

    private final Path path;
    private final Process python;
    private final LinkedBlockingQueue<String> lines = new LinkedBlockingQueue<>();

    public UnixgramSink(Path path) throws IOException, InterruptedException {
        this.path = path;
        Files.createDirectories(path.getParent());
        python = new ProcessBuilder("timeout", "900", "python3", "-c", SCRIPT, path.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(python.getInputStream(), StandardCharsets.UTF_8));
        String first = r.readLine();
        if (!"ready".equals(first)) throw new IOException("python3 could not bind " + path + ": " + first);
        Thread t = new Thread(() -> {
            try {
                for (String l; (l = r.readLine()) != null; ) lines.add(l);
            } catch (IOException ignored) {
                // the process ended
            }
        }, "unixgram-sink");
        t.setDaemon(true);
        t.start();
    }

    public Path path() {
        return path;
    }

    /** Lines received until one matches, or until {@code seconds} pass; the list ends with the match. */
    public List<String> until(Predicate<String> match, int seconds) throws InterruptedException {
        List<String> got = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        for (long left; (left = deadline - System.nanoTime()) > 0; ) {
            String l = lines.poll(left, TimeUnit.NANOSECONDS);
            if (l == null) break;
            got.add(l);
            if (match.test(l)) return got;
        }
        throw new AssertionError("nothing matched on " + path + " in " + seconds + " s; got " + got);
    }

    @Override
    public void close() throws IOException {
        python.destroy();
        try {
            python.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        Files.deleteIfExists(path);
    }
}
