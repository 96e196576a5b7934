package org.diffusion4j.train;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.reflect.Field;
import java.util.Map;

/**
 * Counts the live DJL resources under a manager: DJL 0.35.1 keeps each manager's attached
 * resources (arrays, sub-managers, other closeables) in the protected map
 * {@code BaseNDManager.resources}, and temporarily attached ones in {@code tempResources}; this
 * walks them recursively. From the engine's system manager ({@code base.getParentManager()} of a
 * base manager) it sees every array and manager alive in the JVM.
 */
final class DjlResources {

    /** Live resources: arrays, managers (the root not included), and anything else attached. */
    record Counts(long arrays, long managers, long other) {}

    private static final Field RESOURCES = field("resources");
    private static final Field TEMP_RESOURCES = field("tempResources");

    private DjlResources() {}

    private static Field field(String name) {
        try {
            Field f = BaseNDManager.class.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("DJL's BaseNDManager has no field " + name + " (DJL version changed?)", e);
        }
    }

    static Counts count(NDManager root) {
        long[] c = new long[3];
        walk(root, c);
        return new Counts(c[0], c[1], c[2]);
    }

    private static void walk(NDManager manager, long[] c) {
        if (!(manager instanceof BaseNDManager base)) {
            c[2]++;
            return;
        }
        try {
            for (Object r : ((Map<?, ?>) RESOURCES.get(base)).values()) {
                if (r instanceof NDManager sub) {
                    c[1]++;
                    walk(sub, c);
                } else if (r instanceof NDArray) {
                    c[0]++;
                } else {
                    c[2]++;
                }
            }
            c[2] += ((Map<?, ?>) TEMP_RESOURCES.get(base)).size();
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }
}
