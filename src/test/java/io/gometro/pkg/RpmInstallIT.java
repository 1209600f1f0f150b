package io.gometro.pkg;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Installs the RPM with rpm into a throwaway root so its scriptlets really run
 * (chrooted there). The root is minimal: the host's /usr bind-mounted (shell, awk,
 * useradd, setcap, getent) with its /etc/alternatives, a copy of the host's account files, and the RHEL
 * supervisord layout (/etc/supervisord.d) so %post writes the distro entry.
 */
class RpmInstallIT {

    @Test
    void scriptletsSetCapabilitySupervisorEntryAndCleanUpOnErase() throws Exception {
        inRoot("gm-rpm-it", (rpm, tmp, root) -> {
            Sh.Result in = Sh.run(300, "rpm", "--root", root.toString(), "-i", "--nodeps", rpm.toString()).ok("rpm -i");

            Path java = root.resolve("opt/go-metro/runtime/bin/java");
            String caps = Sh.run(10, "getcap", java.toString()).out();
            assertTrue(caps.contains("cap_net_raw=ep"), caps + "\n" + in.out());
            Path ini = root.resolve("etc/supervisord.d/go-metro.ini");
            assertTrue(Files.exists(ini), "distro supervisord entry; %post said:\n" + in.out());
            String entry = Files.readString(ini);
            // no Agent v5 and no systemd in the root: the distribution's supervisord, with the config in Agent 7's home
            assertTrue(entry.contains("command=/opt/go-metro/bin/go-metro -cfg=\"/etc/datadog-agent/go-metro.yaml\""), entry);
            assertTrue(Files.exists(root.resolve("usr/lib/systemd/system/go-metro.service")), "the unit, in the RPM unit directory");
            assertTrue(Files.exists(root.resolve("etc/datadog-agent/go-metro.yaml.example")), "the example in Agent 7's home");
            assertTrue(entry.contains("user=dd-agent") && entry.contains("startsecs=2") && entry.contains("startretries=2"), entry);
            assertTrue(Files.readString(root.resolve("etc/passwd")).contains("dd-agent:"), "dd-agent created");
            assertEquals("dd-agent", Sh.run(5, "chroot", root.toString(), "stat", "-c", "%U", "/var/log/datadog").out().trim());
            assertTrue(Files.exists(root.resolve("etc/logrotate.d/go-metro")));
            assertTrue(Files.exists(root.resolve("etc/dd-agent/conf.d/go-metro.yaml.example")));
            assertFalse(Files.exists(root.resolve("etc/supervisor/conf.d/go-metro.conf")), "never both");
            // the capable java loads its libraries in secure-execution mode inside the root too
            Sh.Result v = Sh.run(60, "chroot", "--userspec=dd-agent:dd-agent", root.toString(), "/opt/go-metro/runtime/bin/java", "-version");
            assertEquals(0, v.exit(), v.out());

            Sh.run(300, "rpm", "--root", root.toString(), "-e", "go-metro").ok("rpm -e");
            assertFalse(Files.exists(ini), "erase removes the supervisord entry");
            assertFalse(Files.exists(root.resolve("opt/go-metro")), Sh.run(5, "find", root.resolve("opt").toString()).out());
            assertFalse(Files.exists(root.resolve("etc/logrotate.d/go-metro")));
            assertFalse(Files.exists(root.resolve("etc/ld.so.conf.d/go-metro.conf")));
        });
    }

    /**
     * Agent v5 ships /etc/dd-agent/supervisor.conf. An Agent upgrade that replaces it (a plain
     * %config, so rpm -U installs the new file and keeps the edited one as .rpmsave) loses
     * go-metro's command=, which %triggerin puts back; erasing the Agent takes its supervisord
     * away, and %triggerpostun ($2 = 0) hands go-metro to the distribution's supervisord.
     */
    @Test
    void agentTriggersKeepGoMetroUnderASupervisor() throws Exception {
        inRoot("gm-rpm-agent-it", (rpm, tmp, root) -> {
            String shipped = """
                    [supervisord]
                    nodaemon=false

                    [program:go-metro]
                    command=/opt/datadog-agent/bin/go-metro -cfg="/etc/dd-agent/conf.d/go-metro.yaml"
                    user=dd-agent
                    """;
            Path agent1 = agentRpm(tmp, "5.32.0", shipped);
            Path agent2 = agentRpm(tmp, "5.32.1", shipped + "; shipped by Agent 5.32.1\n");
            Sh.run(120, "rpm", "--root", root.toString(), "-i", "--nodeps", agent1.toString()).ok("rpm -i datadog-agent (stand-in)");
            Sh.run(300, "rpm", "--root", root.toString(), "-i", "--nodeps", rpm.toString()).ok("rpm -i go-metro");
            Path conf = root.resolve("etc/dd-agent/supervisor.conf");
            String ours = "command=/opt/go-metro/bin/go-metro -cfg=\"/etc/dd-agent/conf.d/go-metro.yaml\"";
            assertTrue(Files.readString(conf).contains(ours), Files.readString(conf));

            Sh.Result up = Sh.run(120, "rpm", "--root", root.toString(), "-U", "--nodeps", agent2.toString()).ok("rpm -U datadog-agent");
            String now = Files.readString(conf);
            assertTrue(now.contains("; shipped by Agent 5.32.1"), "the Agent's new file is in place:\n" + now + "\n" + up.out());
            assertTrue(now.contains(ours), "%triggerin put go-metro's entry back:\n" + now + "\nrpm said:\n" + up.out());
            assertFalse(now.contains("command=/opt/datadog-agent/bin/go-metro"), now);
            assertFalse(Files.exists(root.resolve("etc/supervisord.d/go-metro.ini")), "one supervisord: the Agent's");

            Sh.Result erase = Sh.run(120, "rpm", "--root", root.toString(), "-e", "--nodeps", "datadog-agent").ok("rpm -e datadog-agent");
            assertFalse(Files.exists(conf), "erased with the Agent (" + erase.out() + ")");
            Path ini = root.resolve("etc/supervisord.d/go-metro.ini");
            assertTrue(Files.exists(ini), "%triggerpostun handed go-metro to the distribution's supervisord; rpm said:\n" + erase.out());
            assertFalse(Files.exists(root.resolve("etc/dd-agent/supervisor.conf.go-metro-orig")), "the stale original goes");
            Sh.run(300, "rpm", "--root", root.toString(), "-e", "go-metro").ok("rpm -e go-metro");
            assertFalse(Files.exists(ini));
        });
    }

    /**
     * rpm -U to the next release runs the scriptlets' upgrade branches: the new %post with $1 = 2
     * (configure again), then the old %preun and %postun with $1 = 1, which must leave alone what
     * they take away on an erase ($1 = 0): the capability, the supervisord entry, the status
     * directory. An edited %config(noreplace) file survives; erase then removes everything.
     */
    @Test
    void upgradeRunsTheUpgradeBranchesAndKeepsWhatTheOperatorHas() throws Exception {
        inRoot("gm-rpm-upgrade-it", (rpm, tmp, root) -> {
            Path next = nextRelease(tmp, rpm);
            Sh.run(300, "rpm", "--root", root.toString(), "-i", "--nodeps", rpm.toString()).ok("rpm -i");
            Path logrotate = root.resolve("etc/logrotate.d/go-metro");
            String shipped = Files.readString(logrotate), edited = shipped.replaceFirst("rotate \\d+", "rotate 9  # the operator's");
            assertNotEquals(shipped, edited, "the edit must change the file");
            Files.writeString(logrotate, edited);
            Path state = root.resolve("var/lib/go-metro/status.json");
            Files.writeString(state, "{}");
            Path config = root.resolve("etc/datadog-agent/go-metro.yaml");
            Files.writeString(config, "init_config:\ninstances:\n  - interface: lo\n");

            Sh.Result up = Sh.run(300, "rpm", "--root", root.toString(), "-U", "--nodeps", next.toString()).ok("rpm -U");
            String q = Sh.run(10, "rpm", "--root", root.toString(), "-q", "go-metro").out().trim();
            assertTrue(q.endsWith("1.it1.x86_64"), "the next release is installed: " + q);
            String caps = Sh.run(10, "getcap", root.resolve("opt/go-metro/runtime/bin/java").toString()).out();
            assertTrue(caps.contains("cap_net_raw=ep"), "the old %preun ($1 = 1) kept the capability:\n" + caps + up.out());
            assertTrue(Files.exists(root.resolve("etc/supervisord.d/go-metro.ini")), "and the supervisord entry:\n" + up.out());
            assertTrue(Files.exists(state), "the old %postun ($1 = 1) kept the status directory:\n" + up.out());
            assertEquals(edited, Files.readString(logrotate), "an edited %config(noreplace) file is kept");
            assertFalse(Files.exists(root.resolve("etc/logrotate.d/go-metro.rpmnew")), "unchanged in the package: no .rpmnew");
            assertEquals("init_config:\ninstances:\n  - interface: lo\n", Files.readString(config), "the operator's config");
            Sh.Result v = Sh.run(60, "chroot", "--userspec=dd-agent:dd-agent", root.toString(), "/opt/go-metro/runtime/bin/java", "-version");
            assertEquals(0, v.exit(), v.out());

            Sh.run(300, "rpm", "--root", root.toString(), "-e", "go-metro").ok("rpm -e");
            assertFalse(Files.exists(root.resolve("opt/go-metro")));
            assertFalse(Files.exists(root.resolve("etc/supervisord.d/go-metro.ini")));
            assertFalse(Files.exists(root.resolve("var/lib/go-metro")), "erase ($1 = 0) removes the status directory");
            assertTrue(Files.exists(config), "the operator's config stays");
        });
    }

    /**
     * The same payload, files, attributes, scriptlets and triggers as the RPM under test, as
     * release 1.it1: the spec rpm-maven-plugin generated for it, with the payload taken from the
     * built RPM instead of the build tree.
     */
    private static Path nextRelease(Path tmp, Path rpm) throws Exception {
        Path generated = Sh.TARGET.resolve("rpm/go-metro/SPECS/go-metro.spec");
        String spec = Files.readString(generated);
        int install = spec.indexOf("\n%install\n"), files = spec.indexOf("\n%files\n");
        assertTrue(install > 0 && files > install && spec.contains("\nRelease: "), "unexpected spec " + generated);
        spec = spec.substring(0, install) + "\n%install\nmkdir -p $RPM_BUILD_ROOT && cd $RPM_BUILD_ROOT && rpm2cpio "
                + rpm.toAbsolutePath() + " | cpio -idm --quiet\n" + spec.substring(files);
        spec = spec.replaceFirst("(?m)^Release: (.*)$", "Release: $1.it1")
                .replaceFirst("(?m)^BuildRoot: .*$", "")
                .replace("%define _binary_payload w6.xzdio", "%define _binary_payload w1.gzdio");   // a test package: fast
        Path top = tmp.resolve("rpmbuild-next");
        Files.createDirectories(top);
        Path file = top.resolve("go-metro.spec");
        Files.writeString(file, spec);
        Sh.run(600, "rpmbuild", "--define", "_topdir " + top, "--buildroot", top.resolve("buildroot").toString(),
                "-bb", file.toString()).ok("rpmbuild " + file);
        try (var s = Files.newDirectoryStream(top.resolve("RPMS/x86_64"), "go-metro-*.rpm")) {
            return s.iterator().next();
        }
    }

    /** A test's body: the RPM under test, a scratch directory, and the throwaway root made in it. */
    private interface InRoot {
        void run(Path rpm, Path tmp, Path root) throws Exception;
    }

    /** Runs {@code body} in a fresh throwaway root, unmounted and deleted afterwards whatever happens. */
    private static void inRoot(String name, InRoot body) throws Exception {
        assumeTrue(Sh.isRoot(), "rpm --root with scriptlets and setcap needs root");
        Path rpm = Sh.onlyFile("go-metro-*.x86_64.rpm");
        Path tmp = Files.createTempDirectory(name);
        Path root = tmp.resolve("root");
        try {
            makeRoot(root);
            body.run(rpm, tmp, root);
        } finally {
            dropRoot(tmp, root);
        }
    }

    /** A stand-in datadog-agent RPM (noarch) that ships supervisor.conf as a plain %config. */
    private static Path agentRpm(Path tmp, String version, String supervisorConf) throws Exception {
        Path top = tmp.resolve("rpmbuild-" + version);
        Files.createDirectories(top.resolve("SOURCES"));
        Files.writeString(top.resolve("SOURCES/supervisor.conf"), supervisorConf);
        Path spec = top.resolve("agent.spec");
        Files.writeString(spec, """
                Name: datadog-agent
                Version: %s
                Release: 1
                Summary: stand-in for Datadog Agent v5 (go-metro's RpmInstallIT)
                License: none
                BuildArch: noarch
                %%description
                Ships /etc/dd-agent/supervisor.conf as Agent v5 does.
                %%install
                mkdir -p %%{buildroot}/etc/dd-agent
                cp %%{_sourcedir}/supervisor.conf %%{buildroot}/etc/dd-agent/supervisor.conf
                %%files
                %%config /etc/dd-agent/supervisor.conf
                """.formatted(version));
        Sh.run(120, "rpmbuild", "--define", "_topdir " + top, "-bb", spec.toString()).ok("rpmbuild " + spec);
        try (var s = Files.newDirectoryStream(top.resolve("RPMS/noarch"), "datadog-agent-*.rpm")) {
            return s.iterator().next();
        }
    }

    /** The host's /usr bind-mounted, a copy of its account files without dd-agent, rpm's database. */
    private static void makeRoot(Path root) {
        Sh.sh(30, "set -e; r=" + root + "; mkdir -p $r/usr $r/etc/supervisord.d $r/var/log $r/tmp $r/dev $r/proc"
                + " && ln -s usr/bin $r/bin && ln -s usr/sbin $r/sbin && ln -s usr/lib $r/lib && ln -s usr/lib64 $r/lib64"
                + " && for f in passwd group shadow gshadow login.defs nsswitch.conf; do [ -f /etc/$f ] && cp -p /etc/$f $r/etc/; done"
                // /usr/bin/awk and friends are links through /etc/alternatives on Debian
                + " && cp -a /etc/alternatives $r/etc/"
                + " && chmod 1777 $r/tmp").ok("make the root");
        // a fresh account database: dd-agent must be created by %post
        Sh.sh(10, "r=" + root + "; sed -i '/^dd-agent:/d' $r/etc/passwd $r/etc/group $r/etc/shadow $r/etc/gshadow 2>/dev/null; true");
        Sh.run(10, "mount", "--bind", "/usr", root.resolve("usr").toString()).ok("bind /usr");
        Sh.run(60, "rpm", "--root", root.toString(), "--initdb").ok("rpm --initdb");
    }

    private static void dropRoot(Path tmp, Path root) {
        if (isMounted(root)) Sh.run(30, "umount", root.resolve("usr").toString());
        if (isMounted(root)) {
            throw new AssertionError("could not unmount " + root + "/usr; not deleting it");
        }
        Sh.run(60, "rm", "-rf", "--one-file-system", tmp.toString());
    }

    private static boolean isMounted(Path root) {
        return Sh.run(5, "sh", "-c", "mount | grep -q ' " + root + "/usr '").exit() == 0;
    }
}
