package org.diffusion4j.diffusers;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Set;
import org.diffusion4j.io.CheckpointException;

/**
 * How a model folder asks to be sampled when the caller does not say: this toolkit's private entry of
 * {@code model_index.json}, named as the arguments of diffusers' pipeline call:
 *
 * <pre>
 *   "_diffusion4j": {"guidance_scale": 4.0}
 * </pre>
 *
 * <p>diffusers drops every {@code model_index.json} key that starts with an underscore before it builds the pipeline
 * ({@code ConfigMixin.extract_init_dict}, "remove private attributes"), without a warning, so the folder still loads
 * there unchanged; a diffusers user passes {@code guidance_scale} to the call as always. The scale belongs to the
 * weights (a small model is over-guided at diffusers' 7.5), so it lives in the folder, measured with {@code eval}.
 *
 * @param guidanceScale the classifier-free guidance scale w when a request gives none, or null for the built-in default
 */
public record PipelineDefaults(Double guidanceScale) {

    /** The private {@code model_index.json} key. */
    public static final String KEY = "_diffusion4j";

    /** The field of the guidance scale (diffusers' {@code guidance_scale} argument). */
    public static final String GUIDANCE_SCALE = "guidance_scale";

    /** A folder without the entry. */
    public static final PipelineDefaults NONE = new PipelineDefaults(null);

    private static final Set<String> FIELDS = Set.of(GUIDANCE_SCALE);

    /** The field's name as messages give it: {@code "_diffusion4j.guidance_scale"}. */
    public static String field(String name) {
        return "\"" + KEY + "." + name + "\"";
    }

    /**
     * The defaults of {@code folder}; {@link #NONE} when it has no {@code model_index.json} or the file has no entry.
     *
     * @throws CheckpointException naming the file and the field when the entry is not an object of known fields, or the
     *     guidance scale is not a finite number ≥ 0
     */
    public static PipelineDefaults read(ModelFolder folder) throws IOException {
        if (!Files.isRegularFile(folder.modelIndexFile())) {
            return NONE;
        }
        JsonElement e = folder.readModelIndex().get(KEY);
        if (e == null || e.isJsonNull()) {
            return NONE;
        }
        String file = folder.modelIndexFile().toString();
        if (!e.isJsonObject()) {
            throw new CheckpointException(file + ": \"" + KEY + "\" must be an object such as {\"" + GUIDANCE_SCALE
                    + "\": 4.0}, got " + e);
        }
        JsonObject o = e.getAsJsonObject();
        for (String name : o.keySet()) {
            if (!FIELDS.contains(name)) {
                throw new CheckpointException(file + ": unknown field " + field(name) + "; \"" + KEY + "\" takes " + FIELDS);
            }
        }
        JsonElement w = o.get(GUIDANCE_SCALE);
        if (w == null || w.isJsonNull()) {
            return NONE;
        }
        if (!(w.isJsonPrimitive() && ((JsonPrimitive) w).isNumber()) || !(w.getAsDouble() >= 0) || Double.isInfinite(w.getAsDouble())) {
            throw new CheckpointException(file + ": " + field(GUIDANCE_SCALE) + " must be a finite number >= 0 (1 = the "
                    + "condition alone), got " + w);
        }
        return new PipelineDefaults(w.getAsDouble());
    }

    /**
     * The entry of the folder's current {@code model_index.json} as written there, or null when the file, the entry or
     * valid JSON is missing: what a rewrite of the index carries over, so that a checkpoint saved into a folder keeps
     * the defaults its user set.
     */
    static JsonElement kept(ModelFolder folder) {
        try {
            return Files.isRegularFile(folder.modelIndexFile()) ? folder.readModelIndex().get(KEY) : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
