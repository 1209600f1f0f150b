package io.gometro.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The README's key table and the shipped example file say what {@link ConfigKey} says. The
 * README's table is generated from it ({@link #readmeTable()}); the example file is written by
 * hand, for operators, and checked: every key it names exists where it names it, every value it
 * shows is the default, and every key of the table is mentioned.
 */
class ConfigKeyDocsTest {
    static final Path README = Path.of("README.md");
    static final Path EXAMPLE = Path.of("conf.d/go-metro.yaml.example");
    static final String BEGIN = "<!-- config keys: generated from ConfigKey; ConfigKeyDocsTest prints this table when they differ -->";
    static final String END = "<!-- end of config keys -->";

    /** The README's key table, one row per key in the table's order. */
    static String readmeTable() {
        StringBuilder b = new StringBuilder();
        b.append("| key | type | default | range | from | what it is |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (ConfigKey k : ConfigKey.values()) {
            b.append("| `").append(k.path()).append("` | ").append(k.kind().label())
                    .append(" | ").append(k.defaultText() == null ? "" : "`" + k.defaultText() + "`")
                    .append(" | ").append(k.hasRange() ? k.range() : "")
                    .append(" | ").append(k.fromGoMetro() ? "go-metro" : "ours")
                    .append(" | ").append(k.doc().replace("|", "\\|")).append(" |\n");
        }
        return b.toString();
    }

    @Test
    void readmeKeyTableIsTheTable() throws Exception {
        String readme = Files.readString(README);
        int b = readme.indexOf(BEGIN), e = readme.indexOf(END);
        assertTrue(b >= 0 && e > b, "README.md lacks the markers " + BEGIN + " ... " + END);
        String inReadme = readme.substring(b + BEGIN.length(), e).strip() + "\n";
        assertEquals(readmeTable(), inReadme,
                "README.md's key table differs from ConfigKey; put this between its markers:\n" + readmeTable());
    }

    /** {@code key: value}, commented out or not, as an item of a list or not. */
    static final Pattern KEY_LINE = Pattern.compile("^(\\s*)(#\\s*)?(-\\s+)?([a-z_]+):(?:\\s+(.*))?$");

    record KeyLine(int line, ConfigKey.Section section, String key, String value, boolean commented) {}

    static List<KeyLine> keyLines(List<String> lines) {
        List<KeyLine> out = new ArrayList<>();
        ConfigKey.Section at = ConfigKey.Section.TOP;
        for (int i = 0; i < lines.size(); i++) {
            Matcher m = KEY_LINE.matcher(lines.get(i));
            if (!m.matches()) continue;
            boolean commented = m.group(2) != null;
            String key = m.group(4);
            String value = m.group(5) == null ? "" : m.group(5).replaceFirst("\\s+#.*$", "").strip();
            if (!commented && m.group(1).isEmpty() && m.group(3) == null) {
                out.add(new KeyLine(i + 1, ConfigKey.Section.TOP, key, value, false));
                at = key.equals("init_config") ? ConfigKey.Section.INIT : ConfigKey.Section.INSTANCE;
                continue;
            }
            if (at == ConfigKey.Section.TOP) continue;   // the header's prose
            out.add(new KeyLine(i + 1, at, key, value, commented));
        }
        return out;
    }

    /** What is wrong in an example file: keys the table lacks, values that are not the default. */
    static List<String> problems(List<String> lines) {
        List<KeyLine> found = keyLines(lines);
        List<String> wrong = new ArrayList<>();
        for (KeyLine l : found) {
            ConfigKey k = ConfigKey.in(l.section()).stream().filter(c -> c.key().equals(l.key())).findFirst().orElse(null);
            if (k == null) {
                wrong.add("line " + l.line() + ": " + l.key() + " is not a " + l.section() + " key of ConfigKey");
                continue;
            }
            boolean showsADefault = k.defaultText() != null && !l.value().isEmpty()
                    && !(l.commented() && k.kind() == ConfigKey.Kind.BOOLEAN);   // a commented boolean shows how to turn it on
            if (showsADefault && !l.value().equals(k.defaultText()))
                wrong.add("line " + l.line() + ": " + l.key() + ": " + l.value() + " is not the default, " + k.defaultText());
        }
        return wrong;
    }

    @Test
    void exampleNamesOnlyTableKeysWithTheirDefaults() throws Exception {
        List<String> lines = Files.readAllLines(EXAMPLE);
        assertTrue(keyLines(lines).size() >= 20, "read too few key lines from the example: " + keyLines(lines));
        assertEquals(List.of(), problems(lines), EXAMPLE.toString());
    }

    @Test
    void exampleMentionsEveryKey() throws Exception {
        String text = Files.readString(EXAMPLE);
        Set<String> missing = new LinkedHashSet<>();
        for (ConfigKey k : ConfigKey.values())
            if (!Pattern.compile("\\b" + k.key() + "\\b").matcher(text).find()) missing.add(k.path());
        assertEquals(Set.of(), missing, "keys of ConfigKey that " + EXAMPLE + " never mentions");
    }

    @Test
    void theCheckSeesAWrongDefaultAndAnUnknownKeyAndNothingElse() {
        List<String> lines = List.of("# go-metro: a header in prose", "init_config:", "  snaplen: 96   # short",
                "  # colour: red", "  # percentiles: false", "instances:", "  - interface: eth0", "    # sample: true",
                "    # sample_interval: 60");
        assertEquals(8, keyLines(lines).size(), keyLines(lines).toString());
        assertEquals(List.of("line 3: snaplen: 96 is not the default, 512", "line 4: colour is not a INIT key of ConfigKey"),
                problems(lines));
    }

    @Test
    void everyDefaultIsWithinItsRangeAndReadable() {
        for (ConfigKey k : ConfigKey.values()) {
            if (k.hasRange()) {
                long d = k.defaultLong();
                assertTrue(d >= k.min() && d <= k.max(), k + " default " + d + " outside " + k.range());
            }
            switch (k.kind()) {
                case BOOLEAN -> k.defaultBoolean();
                case LEVEL -> k.defaultLevel();
                case SECONDS -> k.defaultDuration();
                case PATH -> { if (k.defaultText() != null) assertTrue(k.defaultPath().isAbsolute(), k.toString()); }
                default -> { }
            }
            assertFalse(k.doc().isBlank() || k.doc().contains("\n"), k + ": one line of doc");
        }
    }
}
