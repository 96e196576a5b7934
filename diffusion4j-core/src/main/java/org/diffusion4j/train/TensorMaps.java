package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/** Copying named float32 tensors between NDArrays and Java arrays, with name and size checks. */
final class TensorMaps {

    private TensorMaps() {}

    /**
     * Copies {@code values} into the live arrays of {@code targets} (in place), after checking that
     * both hold the same names and every size matches.
     */
    static void copyInto(Map<String, NDArray> targets, Map<String, float[]> values, String what) {
        if (!targets.keySet().equals(values.keySet())) {
            TreeSet<String> missing = new TreeSet<>(targets.keySet());
            missing.removeAll(values.keySet());
            TreeSet<String> extra = new TreeSet<>(values.keySet());
            extra.removeAll(targets.keySet());
            throw new IllegalArgumentException(what + ": tensor names differ from the model's; missing " + missing
                    + ", unexpected " + extra);
        }
        for (Map.Entry<String, NDArray> e : targets.entrySet()) {
            float[] v = values.get(e.getKey());
            NDArray a = e.getValue();
            if (v.length != a.size()) {
                throw new IllegalArgumentException(what + ": tensor \"" + e.getKey() + "\" has " + v.length
                        + " values, the model's has shape " + a.getShape());
            }
        }
        for (Map.Entry<String, NDArray> e : targets.entrySet()) {
            e.getValue().set(FloatBuffer.wrap(values.get(e.getKey())));
        }
    }

    /** A copy of every array's values, by name. */
    static Map<String, float[]> toFloats(Map<String, NDArray> arrays) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            out.put(e.getKey(), e.getValue().toFloatArray());
        }
        return out;
    }
}
