package io.gometro.config;

import java.nio.file.Path;

/**
 * A configuration problem the operator must fix. {@link #getMessage()} is always ONE line:
 * {@code <file>: <key path>: <what is wrong>; <the fix>}, e.g.
 * {@code /etc/dd-agent/conf.d/go-metro.yaml: instances[1].ips[0]: "1.2.3" is not an IP address; write ...}.
 * Problems that are not tied to a key (unreadable file, YAML syntax) use the line/column or
 * nothing in the key-path slot.
 */
public class ConfigException extends Exception {
    private final Path file;
    private final String keyPath;

    /**
     * @param file    the configuration file (printed as given)
     * @param keyPath where in the file, e.g. {@code init_config.snaplen}, {@code instances[0]}; null if none
     * @param problem what is wrong
     * @param fix     what the operator should do
     */
    public ConfigException(Path file, String keyPath, String problem, String fix) {
        this(file, keyPath, problem, fix, null);
    }

    public ConfigException(Path file, String keyPath, String problem, String fix, Throwable cause) {
        super(oneLine(format(file, keyPath, problem, fix)), cause);
        this.file = file;
        this.keyPath = keyPath;
    }

    /** The configuration file this is about. */
    public Path file() { return file; }

    /** Key path such as {@code instances[1].ips[0]}, or null when the problem is the file itself. */
    public String keyPath() { return keyPath; }

    static String format(Path file, String keyPath, String problem, String fix) {
        StringBuilder b = new StringBuilder();
        b.append(file);
        if (keyPath != null && !keyPath.isEmpty()) b.append(": ").append(keyPath);
        b.append(": ").append(problem);
        if (fix != null && !fix.isEmpty()) b.append("; ").append(fix);
        return b.toString();
    }

    /** Values quoted from the file may hold line breaks; the message must stay one line. */
    static String oneLine(String s) {
        return s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
    }
}
