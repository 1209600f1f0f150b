package io.gometro.capture;

import com.sun.jna.NativeLibrary;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class LibpcapTest {
    @Test void findsTheSystemLibraryAndPointsPcap4jAtIt() throws Exception {
        Libpcap lib = Libpcap.ensureLoaded();
        assertTrue(Libpcap.NAMES.contains(lib.name()), lib.name());
        assertEquals(lib.name(), System.getProperty(Libpcap.PCAP4J_LIB_PROPERTY));
        // JNA resolves the versioned soname as given (no "lib…so" mangling)…
        assertTrue(NativeLibrary.getInstance(lib.name()).getFile().getName().startsWith("libpcap.so"));
        // …and pcap4j, loaded after the property was set, works through it.
        assertTrue(org.pcap4j.core.Pcaps.libVersion().startsWith("libpcap version"));
        assertTrue(org.pcap4j.core.Pcaps.findAllDevs().stream().anyMatch(d -> d.getName().equals("lo")));
    }

    /** On Debian the runtime package installs libpcap.so.0.8; it must be the first choice there. */
    @Test void prefersTheDebianRuntimeName() throws Exception {
        if (Files.exists(Path.of("/usr/lib/x86_64-linux-gnu/libpcap.so.0.8"))) {
            assertEquals("libpcap.so.0.8", Libpcap.ensureLoaded().name());
        }
        Libpcap l = Libpcap.load(List.of("libpcap.so.0.8"));
        assertEquals("libpcap.so.0.8", l.name());
    }

    @Test void missingLibraryMessageListsNamesAndTheFix() {
        CaptureException e = assertThrows(CaptureException.class,
                () -> Libpcap.load(List.of("libpcap-gm-missing.so.9", "libpcap-gm-missing.so")));
        String m = e.getMessage();
        assertTrue(m.contains("libpcap-gm-missing.so.9, libpcap-gm-missing.so"), m);
        assertTrue(m.contains("libpcap0.8") && m.contains("yum install libpcap"), m);
        assertFalse(e.isPermission());
    }
}
