package io.gometro.report;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configurator;
import org.apache.logging.log4j.core.config.Property;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Collects what the given classes log (level and formatted message), added programmatically. */
public final class LogCapture extends AbstractAppender implements AutoCloseable {
    public record Line(Level level, String message) {}

    private final List<Line> lines = new CopyOnWriteArrayList<>();
    private final Logger[] loggers;
    private final Level[] previous;

    public LogCapture(Level level, Class<?>... classes) {
        super("test-capture-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY);
        start();
        loggers = new Logger[classes.length];
        previous = new Level[classes.length];
        for (int i = 0; i < classes.length; i++) {
            loggers[i] = (Logger) LogManager.getLogger(classes[i]);
            previous[i] = loggers[i].getLevel();
            loggers[i].addAppender(this);
        }
        // Configurator sets the LoggerConfig level: Logger.setLevel alone is undone by the next
        // configuration update (which adding an appender to another logger triggers).
        for (Logger l : loggers) Configurator.setLevel(l.getName(), level);
    }

    @Override
    public void append(LogEvent event) {
        lines.add(new Line(event.getLevel(), event.getMessage().getFormattedMessage()));
    }

    public List<Line> lines() {
        return List.copyOf(lines);
    }

    public List<Line> containing(String text) {
        return lines.stream().filter(l -> l.message().contains(text)).toList();
    }

    public void clear() {
        lines.clear();
    }

    @Override
    public void close() {
        for (int i = 0; i < loggers.length; i++) {
            loggers[i].removeAppender(this);
            Configurator.setLevel(loggers[i].getName(), previous[i]);
        }
        stop();
    }
}
