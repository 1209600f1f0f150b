package io.gometro.pkg;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The built tree, DEB and RPM, checked without installing them. */
class PackageFilesIT {
    static final Path TREE = Sh.TARGET.resolve("go-metro");

    @Test
    void treeRunsFromTheBuildDirectory() {
        // $ORIGIN rpath still works for an uncapable tree; the launcher resolves its prefix.
        Sh.Result r = Sh.run(60, TREE.resolve("bin/go-metro").toString(), "-version").ok("target/go-metro/bin/go-metro -version");
        assertTrue(r.out().contains("go-metro"), r.out());
        // through a symlink elsewhere, as /usr/local/bin/go-metro would be
        Sh.Result viaLink = Sh.sh(60, "d=$(mktemp -d) && ln -s " + TREE.resolve("bin/go-metro") + " $d/go-metro && $d/go-metro -version; rc=$?; rm -rf $d; exit $rc");
        assertEquals(0, viaLink.exit(), viaLink.out());
    }

    /**
     * The modules scripts/build-tree links, and what jlink adds because they require it. A module
     * here that the daemon never loads, or a missing one it does load, fails below or in every
     * daemon test.
     */
    private static final List<String> MODULES = List.of("java.base", "java.datatransfer", "java.desktop",
            "java.logging", "java.naming", "java.prefs", "java.security.sasl", "java.sql",
            "java.transaction.xa", "java.xml", "jdk.unsupported");

    /** The runtime's own native libraries: java.base's, and nothing of java.desktop's. */
    private static final List<String> NATIVE = List.of("libjava.so", "libjimage.so", "libjli.so", "libjsig.so",
            "libnet.so", "libnio.so", "libsimdsort.so", "libsyslookup.so", "libverify.so", "libzip.so",
            "server/libjsig.so", "server/libjvm.so");

    @Test
    void runtimeHoldsOnlyWhatTheDaemonAndAnalysisLoad() throws Exception {
        String listed = Sh.run(30, TREE.resolve("runtime/bin/java").toString(), "--list-modules").ok("java --list-modules").out();
        List<String> mods = Arrays.stream(listed.strip().split("\\s+")).map(m -> m.replaceAll("@.*", "")).sorted().toList();
        assertEquals(MODULES, mods, "the runtime's modules (scripts/build-tree's mods and what they require)");
        Path lib = TREE.resolve("runtime/lib");
        List<String> natives;
        try (var files = Files.walk(lib)) {
            natives = files.filter(f -> f.toString().endsWith(".so")).map(f -> lib.relativize(f).toString()).sorted().toList();
        }
        assertEquals(NATIVE, natives, "no AWT, font, image, colour, sound or splash-screen library");
        try (var files = Files.list(lib)) {
            assertEquals(List.of(), files.map(f -> f.getFileName().toString()).filter(n -> n.startsWith("psfont") || n.equals("classlist") || n.equals("jexec")).toList());
        }
        assertFalse(Files.exists(TREE.resolve("runtime/include")), "--no-header-files");
        assertFalse(Files.exists(TREE.resolve("runtime/man")), "--no-man-pages");
        assertFalse(Files.exists(TREE.resolve("runtime/bin/keytool")), "only java ships in runtime/bin");

        // Each module linked for its classes is loaded: the daemon replaying a capture (logging,
        // YAML, the status file, DogStatsD) with the AOT cache off, so every class names its module.
        Path work = Files.createTempDirectory("gm-modules");
        try {
            Path log = work.resolve("classes.log");
            Sh.Result r = Sh.sh(120, "GO_METRO_MAIN=io.gometro.app.AotTraining GO_METRO_AOT_MODE=daemon"
                    + " GO_METRO_JAVA_OPTS='-XX:AOTMode=off -Xlog:class+load=info:file=" + log + "'"
                    + " " + TREE.resolve("bin/go-metro") + " daemon "
                    + Sh.BASEDIR.resolve("src/test/resources/pcap/lab/v4-ethernet-bulk.pcap") + " " + work.resolve("run"));
            assertEquals(0, r.exit(), r.out());
            String loaded = Files.readString(log);
            for (String m : List.of("java.logging", "java.naming", "java.sql", "java.desktop")) {
                assertTrue(loaded.contains("source: jrt:/" + m + "\n"), m + " is linked but the daemon loads none of its classes");
            }
            // jdk.unsupported is for live capture and the Unix socket (JNA, jffi: sun.misc.Unsafe)
            // and for sun.misc.Signal without the launcher, which this replay does not reach.
        } finally {
            Sh.run(10, "rm", "-rf", work.toString());
        }
    }

    @Test
    void javaHasTheAbsoluteRpathThatSecureExecutionModeNeeds() {
        String d = Sh.run(10, "readelf", "-d", TREE.resolve("runtime/bin/java").toString()).ok("readelf").out();
        assertTrue(d.contains("/opt/go-metro/runtime/lib"), d);
        assertTrue(d.contains("$ORIGIN"), d);
        Sh.Result nm = Sh.run(10, "file", "-L", TREE.resolve("runtime/lib/server/libjvm.so").toString());
        assertTrue(nm.out().contains("stripped") && !nm.out().contains("not stripped"), nm.out());
    }

    @Test
    void jnaStubIsShippedExtracted() {
        assertTrue(Files.isRegularFile(TREE.resolve("lib/native/libjnidispatch.so")));
        String launcher = Sh.run(5, "cat", TREE.resolve("bin/go-metro").toString()).out();
        assertTrue(launcher.contains("-Djna.boot.library.path=\"$prefix/lib/native\""), launcher);
        assertTrue(launcher.contains("-Djna.nounpack=true"));
        assertFalse(launcher.contains("pcapLibName"), "the launcher must not pin one libpcap name (Debian .so.0.8, RHEL .so.1)");
    }

    @Test
    void debLintsCleanAndDeclaresItsDependencies() throws Exception {
        Path deb = Sh.onlyFile("go-metro_*_amd64.deb");
        Sh.Result lint = Sh.run(300, "lintian", "--fail-on", "error", deb.toString());
        assertEquals(0, lint.exit(), "lintian errors (overrides live in deb/lintian-overrides):\n" + lint.out());
        String info = Sh.run(30, "dpkg-deb", "-f", deb.toString(), "Depends", "Architecture").ok("dpkg-deb -f").out();
        assertTrue(info.contains("libpcap0.8 | libpcap"), info);
        assertTrue(info.contains("libcap2-bin | libcap"), info);
        assertTrue(info.contains("Architecture: amd64"), info);
        String conffiles = Sh.sh(30, "dpkg-deb --ctrl-tarfile " + deb + " | tar -xOf - ./conffiles").ok("conffiles").out();
        assertTrue(conffiles.contains("/etc/dd-agent/conf.d/go-metro.yaml.example"), conffiles);
        assertTrue(conffiles.contains("/etc/logrotate.d/go-metro"), conffiles);
        String triggers = Sh.sh(30, "dpkg-deb --ctrl-tarfile " + deb + " | tar -xOf - ./triggers").ok("triggers").out();
        assertTrue(triggers.contains("interest-noawait /etc/dd-agent/supervisor.conf"), triggers);
        String files = Sh.run(30, "dpkg-deb", "-c", deb.toString()).ok("dpkg-deb -c").out();
        assertTrue(files.matches("(?s).*-rwxr-xr-x root/root .* \\./opt/go-metro/runtime/bin/java\\n.*"), files);
        assertTrue(files.contains("./opt/go-metro/runtime/bin/go-metro -> java"), files);
        assertTrue(files.matches("(?s).*-rwxr-xr-x root/root .* \\./opt/go-metro/lib/sigblock\n.*"), grep(files, "lib/sigblock"));
        assertFalse(files.contains("./etc/dd-agent/conf.d/go-metro.yaml\n"), "the user's go-metro.yaml is never shipped");
        assertTrue(conffiles.contains("/etc/datadog-agent/go-metro.yaml.example"), conffiles);
        assertFalse(files.contains("./etc/datadog-agent/go-metro.yaml\n"), "the user's go-metro.yaml is never shipped");
        assertTrue(files.matches("(?s).*-rw-r--r-- root/root .* \\./lib/systemd/system/go-metro\\.service\n.*"),
                grep(files, "systemd"));
    }

    @Test
    void theUnitVerifiesClean() throws Exception {
        // The unit as packaged, against this tree's launcher at the path the unit names.
        Path unit = Sh.BASEDIR.resolve("dist/systemd/go-metro.service");
        Path dir = Files.createTempDirectory("unit");
        try {
            String text = Files.readString(unit).replace("/opt/go-metro/bin/go-metro", Sh.BASEDIR.resolve("target/go-metro/bin/go-metro").toString());
            Files.writeString(dir.resolve("go-metro.service"), text);
            Sh.Result v = Sh.run(60, "systemd-analyze", "verify", dir.resolve("go-metro.service").toString());
            assertEquals(0, v.exit(), v.out());
            assertEquals("", v.out().strip(), "systemd-analyze verify says something:\n" + v.out());
        } finally {
            Sh.run(10, "rm", "-rf", dir.toString());
        }
    }

    @Test
    void rpmLintsCleanWithItsRequiresArchAndScripts() throws Exception {
        Path rpm = Sh.onlyFile("go-metro-*.x86_64.rpm");
        Sh.Result lint = Sh.run(300, "rpmlint", "-r", Sh.BASEDIR.resolve("rpm/go-metro.rpmlintrc").toString(), rpm.toString());
        assertTrue(lint.out().contains(" 0 errors"), "rpmlint errors (filters live in rpm/go-metro.rpmlintrc):\n" + lint.out());
        assertEquals("x86_64", Sh.run(30, "rpm", "-qp", "--qf", "%{ARCH}", rpm.toString()).ok("arch").out().trim());
        List<String> req = Arrays.stream(Sh.run(30, "rpm", "-qp", "--requires", rpm.toString()).ok("requires").out().split("\n"))
                .map(String::trim).filter(s -> !s.isEmpty() && !s.startsWith("rpmlib(") && !s.equals("/bin/sh"))
                .sorted().collect(Collectors.toList());
        assertEquals(List.of("libcap", "libpcap"), req, "no automatic requires (X11/ALSA) may leak in");
        String scripts = Sh.run(30, "rpm", "-qp", "--scripts", rpm.toString()).ok("scripts").out();
        assertTrue(scripts.contains("postinstall scriptlet") && scripts.contains("go-metro-maint configure"), scripts);
        assertTrue(scripts.contains("preuninstall scriptlet") && scripts.contains("go-metro-maint remove"), scripts);
        // An Agent v5 upgrade or erase changes the supervisord that runs go-metro.
        String triggers = Sh.run(30, "rpm", "-qp", "--triggers", rpm.toString()).ok("triggers").out();
        assertTrue(triggers.contains("triggerin scriptlet") && triggers.contains("datadog-agent")
                && triggers.contains("go-metro-maint agent-changed"), triggers);
        assertTrue(triggers.contains("triggerpostun scriptlet") && triggers.contains("if [ \"$2\" = 0 ]"), triggers);
        String cfg = Sh.run(30, "rpm", "-qp", "--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\\n]", rpm.toString()).ok("fflags").out();
        assertTrue(cfg.matches("(?s).*cn \\S*/etc/dd-agent/conf.d/go-metro.yaml.example.*")
                || cfg.matches("(?s).*\\bcn\\w* /etc/dd-agent/conf.d/go-metro.yaml.example.*"), "example must be %config(noreplace):\n" + grep(cfg, "etc/"));
        assertTrue(cfg.matches("(?s).*\\bcn\\w* /etc/datadog-agent/go-metro.yaml.example.*")
                || cfg.matches("(?s).*cn \\S*/etc/datadog-agent/go-metro.yaml.example.*"), grep(cfg, "etc/"));
        assertTrue(cfg.contains("/usr/lib/systemd/system/go-metro.service"), grep(cfg, "systemd"));
        String files = Sh.run(30, "rpm", "-qlvp", rpm.toString()).ok("rpm -qlvp").out();
        assertTrue(files.matches("(?s).*-rwxr-xr-x\\s+1 root\\s+root\\s+\\d+ .*/opt/go-metro/runtime/bin/java\\n.*"), grep(files, "bin/"));
        assertTrue(files.contains("/opt/go-metro/runtime/bin/go-metro -> java"), grep(files, "bin/"));
        assertTrue(files.matches("(?s).*-rwxr-xr-x\\s+1 root\\s+root\\s+\\d+ .*/opt/go-metro/lib/sigblock\n.*"), grep(files, "lib/sigblock"));
        assertTrue(files.contains("/etc/logrotate.d/go-metro"));
    }

    /**
     * lib/sigblock (the launcher's exec helper) is static: no interpreter, no NEEDED
     * libraries, no glibc symbol versions, so it runs wherever the runtime does
     * (glibc 2.17); and it blocks exactly HUP, INT, QUIT and TERM for what it runs.
     */
    @Test
    void sigblockIsStaticAndBlocksTheFourStopSignals() {
        String sb = TREE.resolve("lib/sigblock").toString();
        String headers = Sh.run(10, "objdump", "-p", sb).ok("objdump -p").out();
        assertFalse(headers.contains("NEEDED"), headers);
        assertFalse(headers.contains("INTERP"), headers);
        assertFalse(headers.contains("GLIBC_"), headers);
        String file = Sh.run(10, "file", "-b", sb).ok("file").out();
        assertTrue(file.contains("static-pie linked"), file);
        // blocked 1,2,3,15 = 0x4007; their dispositions reset even when the caller ignored INT/QUIT
        Sh.Result r = Sh.sh(10, "trap '' INT QUIT; exec " + sb + " /bin/grep grep -E '^Sig(Blk|Ign):' /proc/self/status");
        Sh.Result base = Sh.sh(10, "trap '' INT QUIT; exec /bin/grep -E '^Sig(Blk|Ign):' /proc/self/status");
        assertEquals(0L, mask(base.out(), "SigBlk") & (1L << 14), "TERM is not blocked to begin with: " + base.out());
        assertEquals(mask(base.out(), "SigBlk") | 0x4007L, mask(r.out(), "SigBlk"), r.out());
        assertEquals(0L, mask(r.out(), "SigIgn") & 0x4007L, r.out());
        assertEquals(2, Sh.run(10, sb).exit(), "usage");
        Sh.Result missing = Sh.run(10, sb, "/nonexistent/java", "go-metro");
        assertEquals(127, missing.exit());
        assertTrue(missing.out().contains("cannot execute /nonexistent/java"), missing.out());
    }

    static long mask(String status, String key) {
        String line = Arrays.stream(status.split("\n")).filter(l -> l.startsWith(key + ":")).findFirst()
                .orElseThrow(() -> new AssertionError("no " + key + " in\n" + status));
        return Long.parseUnsignedLong(line.substring(key.length() + 1).strip(), 16);
    }

    static String grep(String s, String needle) {
        return Arrays.stream(s.split("\n")).filter(l -> l.contains(needle)).collect(Collectors.joining("\n"));
    }
}
