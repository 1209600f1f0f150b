package io.gometro.config;

import java.nio.file.Path;

/**
 * The configuration file does not exist. Distinct from other errors because go-metro's contract
 * with supervisord is: log it, sleep 5 s (so supervisord does not call the exit "too quick"), exit 0.
 */
public final class ConfigMissingException extends ConfigException {
    public ConfigMissingException(Path file) {
        super(file, null, "configuration file not found",
                "copy conf.d/go-metro.yaml.example to this path and list the interfaces and peers to measure");
    }
}
