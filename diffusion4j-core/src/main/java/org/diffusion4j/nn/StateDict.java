package org.diffusion4j.nn;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Matching a set of weight tensors against the parameters a configuration needs. */
public final class StateDict {

    /** Attention parameter names of diffusers' deprecated {@code AttentionBlock} (e.g. google/ddpm-cifar10-32). */
    private static final Pattern LEGACY_ATTENTION =
            Pattern.compile("(.*\\.attentions\\.\\d+\\.)(query|key|value|proj_attn)(\\.(?:weight|bias))");
    private static final Map<String, String> LEGACY_TO_CURRENT =
            Map.of("query", "to_q", "key", "to_k", "value", "to_v", "proj_attn", "to_out.0");
    private static final int MAX_LISTED = 20;
    private static final Set<DataType> FLOATS =
            Set.of(DataType.FLOAT32, DataType.FLOAT16, DataType.BFLOAT16, DataType.FLOAT64);

    private StateDict() {}

    /** The current diffusers name of a tensor (legacy attention names mapped, others unchanged). */
    public static String canonicalName(String key) {
        Matcher m = LEGACY_ATTENTION.matcher(key);
        return m.matches() ? m.group(1) + LEGACY_TO_CURRENT.get(m.group(2)) + m.group(3) : key;
    }

    /**
     * Current name → name in the file, for every tensor.
     *
     * @throws IllegalArgumentException when a legacy name and its current name are both present
     */
    public static Map<String, String> canonicalNames(Collection<String> keys, String source) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String key : new TreeSet<>(keys)) {
            String canonical = canonicalName(key);
            String previous = out.put(canonical, key);
            if (previous != null) {
                throw new IllegalArgumentException(source + ": tensors \"" + previous + "\" and \"" + key
                        + "\" are the same parameter (legacy and current attention names); keep one");
            }
        }
        return out;
    }

    /**
     * Checks that the weights hold exactly the expected parameters with the expected shapes, as
     * floating-point tensors.
     *
     * @throws IllegalArgumentException listing every missing, unexpected, misshapen or non-float tensor
     */
    public static void check(Map<String, Shape> expected, Map<String, Shape> actual, Map<String, DataType> types,
            String source) {
        List<String> missing = new ArrayList<>();
        List<String> unexpected = new ArrayList<>();
        List<String> misshapen = new ArrayList<>();
        List<String> notFloat = new ArrayList<>();
        expected.forEach((name, shape) -> {
            Shape have = actual.get(name);
            if (have == null) {
                missing.add(name);
            } else if (!have.equals(shape)) {
                misshapen.add(name + " is " + have + ", the config needs " + shape);
            }
        });
        actual.forEach((name, shape) -> {
            if (!expected.containsKey(name)) {
                unexpected.add(name);
            } else if (!FLOATS.contains(types.get(name))) {
                notFloat.add(name + " is " + types.get(name));
            }
        });
        if (missing.isEmpty() && unexpected.isEmpty() && misshapen.isEmpty() && notFloat.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder(source).append(": the weights do not match the configuration");
        list(sb, "missing tensors", missing);
        list(sb, "unexpected tensors", unexpected);
        list(sb, "shape mismatches", misshapen);
        list(sb, "not floating point (need F32, F16, BF16 or F64)", notFloat);
        sb.append(". Are config.json and the weights from the same model?");
        throw new IllegalArgumentException(sb.toString());
    }

    private static void list(StringBuilder sb, String what, List<String> items) {
        if (items.isEmpty()) {
            return;
        }
        sb.append("; ").append(items.size()).append(' ').append(what).append(": ");
        sb.append(String.join(", ", items.subList(0, Math.min(items.size(), MAX_LISTED))));
        if (items.size() > MAX_LISTED) {
            sb.append(", ... and ").append(items.size() - MAX_LISTED).append(" more");
        }
    }
}
