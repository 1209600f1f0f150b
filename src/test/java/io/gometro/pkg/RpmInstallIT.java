package io.gometro.pkg;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Installs the RPM with rpm into a throwaway root so its scriptlets really run
 * (chrooted there). The root is minimal: the host's /usr bind-mounted (shell, awk,
 * useradd, setcap, getent), a copy of the host's account files, and the RHEL
 * supervisord layout (/etc/supervisord.d) so %post writes the distro entry.
 */
class RpmInstallIT {

    @Test
    void scriptletsSetCapabilitySupervisorEntryAndCleanUpOnErase() throws Exception {
        assumeTrue(Sh.isRoot(), "rpm --root with scriptlets and setcap needs root");
        Path rpm = Sh.onlyFile("go-metro-*.x86_64.rpm");
        Path tmp = Files.createTempDirectory("gm-rpm-it");
        Path root = tmp.resolve("root");
        boolean mounted = false;
        try {
            Sh.sh(30, "set -e; r=" + root + "; mkdir -p $r/usr $r/etc/supervisord.d $r/var/log $r/tmp $r/dev $r/proc"
                    + " && ln -s usr/bin $r/bin && ln -s usr/sbin $r/sbin && ln -s usr/lib $r/lib && ln -s usr/lib64 $r/lib64"
                    + " && for f in passwd group shadow gshadow login.defs nsswitch.conf; do [ -f /etc/$f ] && cp -p /etc/$f $r/etc/; done"
                    + " && chmod 1777 $r/tmp").ok("make the root");
            // a fresh account database: dd-agent must be created by %post
            Sh.sh(10, "r=" + root + "; sed -i '/^dd-agent:/d' $r/etc/passwd $r/etc/group $r/etc/shadow $r/etc/gshadow 2>/dev/null; true");
            Sh.run(10, "mount", "--bind", "/usr", root.resolve("usr").toString()).ok("bind /usr");
            mounted = true;
            Sh.run(60, "rpm", "--root", root.toString(), "--initdb").ok("rpm --initdb");
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
        } finally {
            if (mounted) Sh.run(30, "umount", root.resolve("usr").toString());
            if (!Sh.run(5, "sh", "-c", "mount | grep -q ' " + root + "/usr '").out().isEmpty()) {
                throw new AssertionError("could not unmount " + root + "/usr; not deleting it");
            }
            Sh.run(60, "rm", "-rf", "--one-file-system", tmp.toString());
        }
    }
}
