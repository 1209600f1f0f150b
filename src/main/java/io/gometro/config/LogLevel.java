package io.gometro.config;

import java.util.Locale;
import java.util.Optional;

/**
 * The {@code log_level} values, named as Datadog Agent v5 prints them. Every spelling go-metro
 * documents is accepted, case-insensitively; anything else is a configuration error (go-metro
 * silently fell back to WARNING, which hid typos).
 */
public enum LogLevel {
    TRACE("TRACE"), DEBUG("DEBUG"), INFO("INFO"), WARNING("WARNING"), ERROR("ERROR"), CRITICAL("CRITICAL");

    /** Accepted spellings, for messages and the example file. */
    public static final String SPELLINGS = "trace, debug, info, warn, warning, err, error, crit, critical";

    private final String agentName;

    LogLevel(String agentName) { this.agentName = agentName; }

    /** The level name as it appears in Agent v5 log lines. */
    public String agentName() { return agentName; }

    /** @return the level for one of {@link #SPELLINGS} (any case, surrounding blanks ignored), or empty */
    public static Optional<LogLevel> parse(String s) {
        if (s == null) return Optional.empty();
        return Optional.ofNullable(switch (s.strip().toLowerCase(Locale.ROOT)) {
            case "trace" -> TRACE;
            case "debug" -> DEBUG;
            case "info" -> INFO;
            case "warn", "warning" -> WARNING;
            case "err", "error" -> ERROR;
            case "crit", "critical" -> CRITICAL;
            default -> null;
        });
    }
}
