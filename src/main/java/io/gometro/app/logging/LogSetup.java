package io.gometro.app.logging;

import io.gometro.config.LogLevel;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.ConsoleAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.ConfigurationFactory;
import org.apache.logging.log4j.core.config.ConfigurationSource;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.builder.api.AppenderComponentBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilder;
import org.apache.logging.log4j.core.config.builder.api.ConfigurationBuilderFactory;
import org.apache.logging.log4j.core.config.builder.impl.BuiltConfiguration;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Logging for go-metro, in Datadog Agent v5's line format:
 * <pre>2016-03-31 20:35:27 UTC | INFO | go-metro | (Sniffer.java:120) | message</pre>
 * (UTC; WARN printed as WARNING, FATAL as CRITICAL; location is the caller's file and line).
 *
 * <p>Two stages, no XML and no configuration-file lookup:
 * <ol>
 *   <li><b>Boot</b> (automatic on the first {@code LogManager} use, via
 *       {@code log4j2.component.properties} → {@link BootFactory}): INFO and above to stderr, one line
 *       per event, exceptions reduced to their message. Used for errors before the config is read.</li>
 *   <li>{@link #configure(LogLevel, boolean, Path)}, called once after the config is read: the -log
 *       file (append mode, created 0640) or stdout.</li>
 * </ol>
 * pcap4j (slf4j → log4j-slf4j-impl) and the DogStatsD client are held at WARN unless the configured
 * level is stricter, so pcap4j's per-handle INFO chatter stays out of the log.
 *
 * <p>log4j's shutdown hook is disabled (so that messages logged while go-metro shuts down on a
 * signal are not lost); every event is flushed immediately, and {@link #shutdown()} may be called last.
 */
public final class LogSetup {
    /** Agent v5 layout; %enc keeps a message on one line even if it quotes a newline from outside. */
    static final String PATTERN = "%d{yyyy-MM-dd HH:mm:ss}{UTC} UTC | %level{WARN=WARNING, FATAL=CRITICAL} | go-metro | (%F:%L) | %enc{%m}{CRLF}%n";
    /** Boot layout: same fields, never a stack trace (errors before the config are one line each). */
    static final String BOOT_PATTERN = "%d{yyyy-MM-dd HH:mm:ss}{UTC} UTC | %level{WARN=WARNING, FATAL=CRITICAL} | go-metro | (%F:%L) | %enc{%m}{CRLF}%notEmpty{ (%enc{%ex{short.message}}{CRLF})}%n";
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-r-----");
    /** Third-party loggers kept at WARN: pcap4j and the DogStatsD client. */
    static final String[] QUIET = {"org.pcap4j", "com.timgroup.statsd", "com.datadoghq"};

    static {
        // Same as log4j2.component.properties; set here too in case the resource is missing.
        setIfAbsent("log4j2.disableJmx", "true");
        setIfAbsent("log4j2.shutdownHookEnabled", "false");
        setIfAbsent("log4j2.configurationFactory", BootFactory.class.getName());
    }

    private LogSetup() {}

    /** Where {@link #configure} sent the log, and how long it took. */
    public record Outcome(Path file, boolean toStdout, long elapsedNanos) {}

    /**
     * Makes sure the boot configuration is active (stderr, one line per event). Cheap when log4j is
     * already initialised; call it first thing in main so the properties above apply.
     */
    public static void boot() {
        LogManager.getContext(false);
    }

    /**
     * Switches to the configured destination and level. Call once, after the config is read.
     *
     * @param level   threshold
     * @param toFile  log_to_file: true writes {@code file}, false writes stdout
     * @param file    the -log path; its directory must exist. A new file is created with mode 0640;
     *                an existing one keeps its mode and is appended to (safe with copytruncate)
     * @return what was done; if the file could not be opened, one line went to stderr and stdout is used
     */
    public static synchronized Outcome configure(LogLevel level, boolean toFile, Path file) {
        return configure(level, toFile, file, System.err);
    }

    static synchronized Outcome configure(LogLevel level, boolean toFile, Path file, PrintStream err) {
        long t0 = System.nanoTime();
        boolean useFile = toFile;
        if (useFile) {
            String problem = prepare(file);
            if (problem != null) {
                err.println("go-metro: cannot open log file " + file + ": " + problem + "; logging to stdout instead");
                err.flush();
                useFile = false;
            }
        }
        Configuration c = build(level, useFile ? file : null);
        Configurator.reconfigure(c);
        return new Outcome(useFile ? file : null, !useFile, System.nanoTime() - t0);
    }

    /**
     * For what stops go-metro before {@link #configure} (a bad, unreadable or missing config, bad
     * flags): the boot log to stderr, and the same lines to {@code file} in the Agent v5 format,
     * since Agent v5's supervisord discards stderr (stderr_logfile=NONE) and the operator reads the
     * log. If the file cannot be opened, stderr alone, as before.
     */
    public static synchronized void bootAlsoTo(Path file) {
        if (file == null || prepare(file) != null) return;
        Configuration boot = bootConfiguration(file);
        Configurator.reconfigure(boot);
    }

    /** Flushes and stops logging; call as the very last step of shutdown. */
    public static void shutdown() {
        LogManager.shutdown();
    }

    /** log4j level for a configured level; CRITICAL is FATAL (printed as CRITICAL). */
    public static Level toLog4j(LogLevel l) {
        return switch (l) {
            case TRACE -> Level.TRACE;
            case DEBUG -> Level.DEBUG;
            case INFO -> Level.INFO;
            case WARNING -> Level.WARN;
            case ERROR -> Level.ERROR;
            case CRITICAL -> Level.FATAL;
        };
    }

    /**
     * Creates the file 0640 if missing and checks it opens for append.
     * @return null if usable, else a short reason
     */
    static String prepare(Path file) {
        try {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_MODE));
                // createFile's mode is filtered by the umask; set it explicitly.
                Files.setPosixFilePermissions(file, FILE_MODE);
            } catch (FileAlreadyExistsException e) {
                // existing file: keep the operator's (or logrotate's) mode and owner
            } catch (UnsupportedOperationException e) {
                // non-POSIX file system: create without a mode
                if (!Files.exists(file)) Files.createFile(file);
            }
            if (Files.isDirectory(file)) return "it is a directory";
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                return null;
            }
        } catch (java.nio.file.NoSuchFileException e) {
            return "its directory does not exist";
        } catch (java.nio.file.AccessDeniedException e) {
            return "permission denied";
        } catch (IOException | SecurityException e) {
            return String.valueOf(e.getMessage());
        }
    }

    static Configuration build(LogLevel level, Path file) {
        Level l = toLog4j(level);
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setConfigurationName("go-metro");
        b.setStatusLevel(Level.ERROR);
        AppenderComponentBuilder a;
        if (file != null) {
            a = b.newAppender("out", "File")
                    .addAttribute("fileName", file.toString())
                    .addAttribute("append", true)          // O_APPEND: logrotate copytruncate safe
                    .addAttribute("immediateFlush", true);  // nothing lost without a shutdown hook
        } else {
            // follow: honour System.setOut made after configuration (the stream manager is cached by name)
            a = b.newAppender("out", "Console").addAttribute("target", ConsoleAppender.Target.SYSTEM_OUT)
                    .addAttribute("follow", true);
        }
        a.add(b.newLayout("PatternLayout").addAttribute("pattern", PATTERN));
        b.add(a);
        Level quiet = l.isMoreSpecificThan(Level.WARN) ? l : Level.WARN;
        for (String q : QUIET) b.add(b.newLogger(q, quiet));
        b.add(b.newRootLogger(l).add(b.newAppenderRef("out")));
        return b.build(false);
    }

    static Configuration bootConfiguration() {
        return bootConfiguration(null);
    }

    /** The boot configuration; with {@code file}, its lines also go there (append, Agent v5 format). */
    static Configuration bootConfiguration(Path file) {
        ConfigurationBuilder<BuiltConfiguration> b = ConfigurationBuilderFactory.newConfigurationBuilder();
        b.setConfigurationName("go-metro-boot");
        b.setStatusLevel(Level.ERROR);
        b.add(b.newAppender("err", "Console").addAttribute("target", ConsoleAppender.Target.SYSTEM_ERR)
                .addAttribute("follow", true)
                .add(b.newLayout("PatternLayout").addAttribute("pattern", BOOT_PATTERN)
                        .addAttribute("alwaysWriteExceptions", false)));
        var root = b.newRootLogger(Level.INFO).add(b.newAppenderRef("err"));
        if (file != null) {
            b.add(b.newAppender("file", "File").addAttribute("fileName", file.toString())
                    .addAttribute("append", true).addAttribute("immediateFlush", true)
                    .add(b.newLayout("PatternLayout").addAttribute("pattern", BOOT_PATTERN)
                            .addAttribute("alwaysWriteExceptions", false)));
            root.add(b.newAppenderRef("file"));
        }
        for (String q : QUIET) b.add(b.newLogger(q, Level.WARN));
        b.add(root);
        return b.build(false);
    }

    private static void setIfAbsent(String k, String v) {
        if (System.getProperty(k) == null) System.setProperty(k, v);
    }

    /**
     * Named by {@code log4j2.configurationFactory}: the configuration log4j starts with, so it never
     * searches the class path for log4j2.xml/json/yaml files.
     */
    public static final class BootFactory extends ConfigurationFactory {
        @Override protected String[] getSupportedTypes() { return new String[] {"*"}; }

        @Override public Configuration getConfiguration(LoggerContext ctx, ConfigurationSource source) {
            return bootConfiguration();
        }

        @Override public Configuration getConfiguration(LoggerContext ctx, String name, URI location) {
            return bootConfiguration();
        }
    }
}
