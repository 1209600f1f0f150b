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

    @Test
    void runtimeHasOnlyTheModulesJdepsFinds() {
        String mods = Sh.run(30, TREE.resolve("runtime/bin/java").toString(), "--list-modules").ok("java --list-modules").out();
        assertTrue(mods.contains("java.base@"), mods);
        assertTrue(mods.contains("jdk.unsupported@"), "sun.misc.Signal lives in jdk.unsupported:\n" + mods);
        for (String absent : List.of("jdk.compiler", "jdk.jshell", "java.xml.crypto", "jdk.httpserver", "jdk.jfr")) {
            assertFalse(mods.contains(absent + "@"), absent + " is not used and must not be linked in:\n" + mods);
        }
        assertFalse(Files.exists(TREE.resolve("runtime/include")), "--no-header-files");
        assertFalse(Files.exists(TREE.resolve("runtime/man")), "--no-man-pages");
        assertFalse(Files.exists(TREE.resolve("runtime/bin/keytool")), "only java ships in runtime/bin");
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
        String files = Sh.run(30, "dpkg-deb", "-c", deb.toString()).ok("dpkg-deb -c").out();
        assertTrue(files.matches("(?s).*-rwxr-xr-x root/root .* \\./opt/go-metro/runtime/bin/java\\n.*"), files);
        assertTrue(files.contains("./opt/go-metro/runtime/bin/go-metro -> java"), files);
        assertFalse(files.contains("./etc/dd-agent/conf.d/go-metro.yaml\n"), "the user's go-metro.yaml is never shipped");
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
        String cfg = Sh.run(30, "rpm", "-qp", "--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\\n]", rpm.toString()).ok("fflags").out();
        assertTrue(cfg.matches("(?s).*cn \\S*/etc/dd-agent/conf.d/go-metro.yaml.example.*")
                || cfg.matches("(?s).*\\bcn\\w* /etc/dd-agent/conf.d/go-metro.yaml.example.*"), "example must be %config(noreplace):\n" + grep(cfg, "etc/"));
        String files = Sh.run(30, "rpm", "-qlvp", rpm.toString()).ok("rpm -qlvp").out();
        assertTrue(files.matches("(?s).*-rwxr-xr-x\\s+1 root\\s+root\\s+\\d+ .*/opt/go-metro/runtime/bin/java\\n.*"), grep(files, "bin/"));
        assertTrue(files.contains("/opt/go-metro/runtime/bin/go-metro -> java"), grep(files, "bin/"));
        assertTrue(files.contains("/etc/logrotate.d/go-metro"));
    }

    static String grep(String s, String needle) {
        return Arrays.stream(s.split("\n")).filter(l -> l.contains(needle)).collect(Collectors.joining("\n"));
    }
}
