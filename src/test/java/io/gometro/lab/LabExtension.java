package io.gometro.lab;

import io.gometro.testutil.NoSilentSkips;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.opentest4j.TestAbortedException;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * One lab per test class: started before the class's {@code @BeforeAll} methods (skipped, or
 * failed under the no-silent-skips switch, where the lab cannot run), closed after its
 * {@code @AfterAll} methods, and then checked to have left no namespace behind. It is put in the
 * class's one {@code static NetLab} field:
 *
 * <pre>
 * &#64;RegisterExtension static final LabExtension LAB = new LabExtension(NetLab.Config.rtt(30));
 * static NetLab lab;
 * </pre>
 */
public final class LabExtension implements BeforeAllCallback, AfterAllCallback {
    private final NetLab.Config config;

    public LabExtension(NetLab.Config config) {
        this.config = config;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        Field f = labField(context.getRequiredTestClass());
        f.set(null, start(() -> NetLab.startOrSkip(config)));
    }

    /**
     * An assumption that fails here, in an extension, is not a lifecycle method's: NoSilentSkips
     * would not see it, so its rule is applied here.
     */
    static NetLab start(Supplier<NetLab> start) {
        try {
            return start.get();
        } catch (TestAbortedException e) {
            Throwable t = NoSilentSkips.failIfSkip(e);
            if (t instanceof Error err) throw err;
            throw (RuntimeException) t;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        Field f = labField(context.getRequiredTestClass());
        NetLab lab = (NetLab) f.get(null);
        f.set(null, null);
        NetLab.closeAndCheck(lab);
    }

    private static Field labField(Class<?> c) {
        List<Field> fields = Arrays.stream(c.getDeclaredFields())
                .filter(x -> x.getType() == NetLab.class && Modifier.isStatic(x.getModifiers())
                        && !Modifier.isFinal(x.getModifiers())).toList();
        if (fields.size() != 1)
            throw new IllegalStateException(c.getName() + " needs exactly one non-final static NetLab field for the "
                    + "LabExtension to fill; it has " + fields.size());
        Field f = fields.getFirst();
        f.setAccessible(true);
        return f;
    }
}
