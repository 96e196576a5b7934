package org.diffusion4j.pipeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusers.PipelineDefaults;
import org.diffusion4j.io.CheckpointException;
import org.diffusion4j.nn.UNet2DConfig;

/**
 * The classes of a model folder. The convention: K, the number of classes, is the size of
 * {@code id2label} in {@code model_index.json} when present, else the UNet's {@code num_class_embeds};
 * the model has a null class ∅ (trained with label dropout, so it supports classifier-free guidance)
 * iff {@code num_class_embeds > K}, and ∅ is the last embedding, id {@code num_class_embeds − 1}.
 *
 * @param numClassEmbeds the UNet's {@code num_class_embeds}; null for an unconditional model
 * @param names the class names ({@code id2label}), empty when the folder has none
 * @param defaultGuidance the folder's guidance scale for requests without one ({@link PipelineDefaults}), or null for
 *     {@link #DEFAULT_GUIDANCE}
 */
public record ModelClasses(Integer numClassEmbeds, List<String> names, Double defaultGuidance) {

    /** An unconditional model. */
    public static final ModelClasses UNCONDITIONAL = new ModelClasses(null, List.of());

    /** Classes without a default guidance scale of their folder's. */
    public ModelClasses(Integer numClassEmbeds, List<String> names) {
        this(numClassEmbeds, names, null);
    }

    public ModelClasses {
        names = List.copyOf(names);
        if (numClassEmbeds != null && names.size() > numClassEmbeds) {
            throw new IllegalArgumentException(names.size() + " class names but num_class_embeds " + numClassEmbeds);
        }
    }

    /**
     * Reads the class names of {@code dir} ({@code id2label} of {@code model_index.json}, if the file and
     * the key exist) and checks them against the UNet's {@code num_class_embeds}.
     */
    public static ModelClasses read(Path dir, UNet2DConfig unet) throws IOException {
        ModelFolder folder = new ModelFolder(dir);
        Double w = PipelineDefaults.read(folder).guidanceScale();
        if (unet.numClassEmbeds() == null) {
            if (w != null) {
                throw new CheckpointException(folder.modelIndexFile() + ": " + PipelineDefaults.field(PipelineDefaults.GUIDANCE_SCALE)
                        + " is set but the model is unconditional (its unet/config.json has no num_class_embeds), and takes no "
                        + "guidance; remove the field");
            }
            return UNCONDITIONAL;
        }
        List<String> names = Files.isRegularFile(folder.modelIndexFile()) ? folder.readClassNames() : List.of();
        if (names.size() > unet.numClassEmbeds()) {
            throw new CheckpointException(folder.modelIndexFile() + ": \"" + ModelFolder.ID2LABEL + "\" names " + names.size()
                    + " classes but " + folder.unetConfigFile() + " has num_class_embeds " + unet.numClassEmbeds()
                    + "; the UNet needs an embedding per class (plus one for the null class of guidance)");
        }
        ModelClasses classes = new ModelClasses(unet.numClassEmbeds(), names);
        if (w == null) {
            return classes;
        }
        try {
            classes.checkGuidance(w);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(folder.modelIndexFile() + ": " + PipelineDefaults.field(PipelineDefaults.GUIDANCE_SCALE)
                    + " is " + w + ", but the model has no null class (trained with p_uncond = 0); set it to 1 or remove it");
        }
        return new ModelClasses(unet.numClassEmbeds(), names, w);
    }

    /**
     * The guidance scale of a model with a null class when none is asked for (Ho &amp; Salimans 2022
     * find FID best at a small guidance strength and IS rising with it; their w is this w − 1).
     */
    public static final double DEFAULT_GUIDANCE = 2;

    /** Why {@code --guidance} is refused, in a message naming the option. */
    public static final String GUIDANCE_NEEDS_CLASSES = "--guidance: the model is unconditional (its unet/config.json has no "
            + "num_class_embeds); guidance needs a class-conditional model trained with a null class (train with p_uncond > 0)";

    /**
     * w when given, else the folder's {@link #defaultGuidance}, else {@link #DEFAULT_GUIDANCE} for a model with a null
     * class and 1 otherwise.
     */
    public double guidanceOrDefault(Double w) {
        if (w != null) {
            checkGuidance(w);
            return w;
        }
        if (defaultGuidance != null) {
            return defaultGuidance;
        }
        return hasNullClass() ? DEFAULT_GUIDANCE : 1.0;
    }

    /**
     * Checks a guidance scale w (diffusers' {@code guidance_scale}) against the model: finite, ≥ 0, a
     * conditional model, and a null class unless w = 1.
     *
     * @throws IllegalArgumentException naming the option and the fix
     */
    public void checkGuidance(double w) {
        if (!(w >= 0) || Double.isInfinite(w)) {
            throw new IllegalArgumentException("--guidance takes finite scales >= 0 (1 = conditional only, 0 = unconditional), got " + w);
        }
        if (!conditional()) {
            throw new IllegalArgumentException(GUIDANCE_NEEDS_CLASSES);
        }
        if (w != 1 && !hasNullClass()) {
            throw new IllegalArgumentException("--guidance " + w + " needs a null class, but this model has none: num_class_embeds "
                    + numClassEmbeds + " equals its " + count() + " classes (trained with p_uncond = 0); "
                    + "only --guidance 1 (conditional) is possible");
        }
    }

    /** Whether the model takes a class label. */
    public boolean conditional() {
        return numClassEmbeds != null;
    }

    /** K: the number of real classes (0 for an unconditional model). */
    public int count() {
        return numClassEmbeds == null ? 0 : names.isEmpty() ? numClassEmbeds : names.size();
    }

    /** Whether the model has the null class of classifier-free guidance. */
    public boolean hasNullClass() {
        return numClassEmbeds != null && numClassEmbeds > count();
    }

    /** The id of the null class ∅: {@code num_class_embeds − 1}. */
    public long nullLabel() {
        if (!hasNullClass()) {
            throw new IllegalStateException("the model has no null class");
        }
        return numClassEmbeds - 1;
    }

    /** The name of class {@code id}, or the id itself when the model has no names. */
    public String name(long id) {
        return names.isEmpty() ? Long.toString(id) : names.get((int) id);
    }

    /** For a row label: {@code "7 Sneaker"}, or {@code "7"} without names. */
    public String label(long id) {
        return names.isEmpty() ? Long.toString(id) : id + " " + names.get((int) id);
    }

    /** One line: {@code 10 classes (0 T-shirt/top, …) and a null class (id 10: supports guidance)}. */
    public String describe() {
        if (!conditional()) {
            return "unconditional";
        }
        String list = names.isEmpty() ? "ids 0.." + (count() - 1) + ", no names in model_index.json" : nameList(names);
        return count() + " classes (" + list + ")" + (hasNullClass()
                ? " and a null class (id " + nullLabel() + ": classifier-free guidance)" : ", no null class (no guidance)");
    }

    /** {@code all 10} when {@code requested} is every class in order, else the ids as {@code [7, 8]}. */
    public String listText(long[] requested) {
        boolean all = requested.length == count();
        for (int i = 0; all && i < requested.length; i++) {
            all = requested[i] == i;
        }
        return all ? "all " + count() : java.util.Arrays.toString(requested);
    }

    /** {@code "0 T-shirt/top, 1 Trouser, …"}: names numbered by id. */
    public static String nameList(List<String> names) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            parts.add(i + " " + names.get(i));
        }
        return String.join(", ", parts);
    }

    /**
     * The class ids of {@code spec}: {@code all} (every class, in order) or a comma-separated list of ids
     * and names. A name matches as written, else case-insensitively, else ignoring spaces and signs ({@code ankle-boot} is
     * "Ankle boot"), as a whole or as one of its {@code /}-separated parts ({@code top} is "T-shirt/top").
     *
     * @throws IllegalArgumentException naming the bad entry and the model's classes
     */
    public long[] parse(String spec) {
        if (!conditional()) {
            throw new IllegalArgumentException("--class: the model is unconditional");
        }
        String s = spec.trim();
        int k = count();
        if (s.equalsIgnoreCase("all")) {
            long[] all = new long[k];
            for (int i = 0; i < k; i++) {
                all[i] = i;
            }
            return all;
        }
        String[] parts = s.split(",", -1);
        long[] ids = new long[parts.length];
        for (int j = 0; j < parts.length; j++) {
            ids[j] = resolve(parts[j].trim(), spec);
        }
        return ids;
    }

    /** One entry of --class: an id in [0, K) or a class name. */
    public long resolve(String token, String spec) {
        int k = count();
        if (token.isEmpty()) {
            throw new IllegalArgumentException("--class '" + spec + "' has an empty entry; use all, or ids/names separated by commas");
        }
        if (token.matches("[+-]?\\d+")) {
            long id;
            try {
                id = Long.parseLong(token);
            } catch (NumberFormatException e) {
                id = Long.MAX_VALUE;
            }
            if (id < 0 || id >= k) {
                throw new IllegalArgumentException("--class " + token + " is outside [0, " + (k - 1) + "]: the model has " + k
                        + " classes" + (names.isEmpty() ? "" : " (" + nameList(names) + ")"));
            }
            return id;
        }
        if (names.isEmpty()) {
            throw new IllegalArgumentException("--class '" + token + "': the model has no class names (no id2label in "
                    + "model_index.json); use ids 0.." + (k - 1));
        }
        List<Integer> same = new ArrayList<>();
        List<Integer> exact = new ArrayList<>();
        List<Integer> whole = new ArrayList<>();
        List<Integer> part = new ArrayList<>();
        String key = normalise(token);
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i);
            if (n.trim().equals(token)) {
                same.add(i);
            }
            if (n.trim().equalsIgnoreCase(token)) {
                exact.add(i);
            }
            if (!key.isEmpty() && normalise(n).equals(key)) {
                whole.add(i);
            }
            for (String p : n.split("/")) {
                if (!key.isEmpty() && normalise(p).equals(key)) {
                    part.add(i);
                }
            }
        }
        for (List<Integer> found : List.of(same, exact, whole, part)) {
            if (found.size() == 1) {
                return found.get(0);
            }
            if (found.size() > 1) {
                throw new IllegalArgumentException("--class '" + token + "' is ambiguous: it matches "
                        + found.stream().map(i -> i + " " + names.get(i)).toList() + "; use the id");
            }
        }
        throw new IllegalArgumentException("--class '" + token + "' is not a class of this model; its classes are "
                + nameList(names) + " (ids or names)");
    }

    /** Lower case, letters and digits only. */
    private static String normalise(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toLowerCase(Locale.ROOT).toCharArray()) {
            if (Character.isLetterOrDigit(c)) {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** n labels taking {@code requested} in turn: image i gets {@code requested[i mod m]} (balanced). */
    public static long[] cycle(int n, long[] requested) {
        return cycle(0, n, requested);
    }

    /** The labels of images [first, first + n) when image i gets {@code requested[i mod m]}. */
    public static long[] cycle(int first, int n, long[] requested) {
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = requested[(int) ((first + (long) i) % requested.length)];
        }
        return labels;
    }

    /** Rows of {@code perRow} images: image i gets {@code requested[(i / perRow) mod m]}. */
    public static long[] byRow(int n, int perRow, long[] requested) {
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = requested[(i / perRow) % requested.length];
        }
        return labels;
    }
}
