package org.diffusion4j.diffusers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.CheckpointException;
import org.diffusion4j.io.SafeTensors;

/**
 * A model folder in the diffusers {@code DDPMPipeline} layout, plus the place of our training checkpoints
 * ({@code train.Checkpointing} writes, verifies and prunes them):
 *
 * <pre>
 * root/
 *   model_index.json                            {"_class_name": "DDPMPipeline", ...}
 *   unet/config.json                            UNet2DModel config (diffusers keys)
 *   unet/diffusion_pytorch_model.safetensors    weights (the EMA weights after training)
 *   scheduler/scheduler_config.json             DDPMScheduler config
 *   training/step-&lt;N&gt;/…                    one checkpoint per saved step, sealed by manifest.json
 * </pre>
 *
 * <p>Every file is written to a temporary file in its folder, synced and renamed ({@link AtomicFiles}).
 */
public final class ModelFolder {

    public static final String MODEL_INDEX = "model_index.json";
    public static final String UNET = "unet";
    public static final String UNET_CONFIG = "config.json";
    public static final String UNET_WEIGHTS = "diffusion_pytorch_model.safetensors";
    public static final String SCHEDULER = "scheduler";
    public static final String SCHEDULER_CONFIG = "scheduler_config.json";
    public static final String TRAINING = "training";
    /** The model_index.json key of the class names (as diffusers' DiTPipeline). */
    public static final String ID2LABEL = "id2label";
    /** At most this many class names in {@code id2label}; more is refused as a damaged file. */
    public static final int MAX_CLASS_NAMES = 100_000;
    /** {@code model_index.json} is read whole; a larger file is refused before reading. */
    static final long MAX_MODEL_INDEX_BYTES = 16L << 20;
    /** The diffusers version written into the JSON files. */
    public static final String DIFFUSERS_VERSION = "0.31.0";

    private final Path root;

    public ModelFolder(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    public Path modelIndexFile() {
        return root.resolve(MODEL_INDEX);
    }

    public Path unetDir() {
        return root.resolve(UNET);
    }

    public Path unetConfigFile() {
        return unetDir().resolve(UNET_CONFIG);
    }

    public Path unetWeightsFile() {
        return unetDir().resolve(UNET_WEIGHTS);
    }

    public Path schedulerConfigFile() {
        return root.resolve(SCHEDULER).resolve(SCHEDULER_CONFIG);
    }

    public Path trainingDir() {
        return root.resolve(TRAINING);
    }

    public Path checkpointDir(long step) {
        return trainingDir().resolve("step-" + step);
    }

    // ------------------------------------------------------------------ the diffusers part

    /** The {@code model_index.json} of a diffusers {@code DDPMPipeline} (UNet2DModel + DDPMScheduler). */
    public static String ddpmModelIndexJson() {
        return ddpmModelIndexJson(List.of());
    }

    /**
     * The {@code model_index.json} of a DDPMPipeline; for a class-conditional model with its class names as
     * {@code id2label} ({"0": "T-shirt/top", …}), the pipeline config key diffusers' DiTPipeline uses.
     */
    public static String ddpmModelIndexJson(List<String> classNames) {
        JsonObject o = new JsonObject();
        o.addProperty("_class_name", "DDPMPipeline");
        o.addProperty("_diffusers_version", DIFFUSERS_VERSION);
        if (classNames.size() > MAX_CLASS_NAMES) {
            throw new IllegalArgumentException(classNames.size() + " class names, more than the " + MAX_CLASS_NAMES
                    + " a model index may hold");
        }
        if (!classNames.isEmpty()) {
            JsonObject id2label = new JsonObject();
            for (int i = 0; i < classNames.size(); i++) {
                if (classNames.get(i) == null) {
                    throw new IllegalArgumentException("class name " + i + " is null; every class needs a name");
                }
                id2label.addProperty(Integer.toString(i), classNames.get(i));
            }
            o.add(ID2LABEL, id2label);
        }
        o.add("scheduler", pair("diffusers", "DDPMScheduler"));
        o.add("unet", pair("diffusers", "UNet2DModel"));
        return new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
    }

    private static JsonArray pair(String a, String b) {
        JsonArray arr = new JsonArray();
        arr.add(a);
        arr.add(b);
        return arr;
    }

    /**
     * Checks that this is a diffusers UNet2DModel + DDPM-family scheduler folder: {@code
     * model_index.json} names a pipeline with a {@code unet} entry, and the UNet config, the UNet
     * weights (safetensors) and the scheduler config exist.
     *
     * @throws CheckpointException naming the missing or wrong file and what belongs there
     */
    public void requireDiffusersLayout() throws IOException {
        Path index = modelIndexFile();
        JsonObject o = readModelIndex();
        if (!o.has("_class_name") || !o.has(UNET)) {
            throw new CheckpointException(index + ": expected \"_class_name\" and a \"unet\" entry, as diffusers' "
                    + "DDPMPipeline writes");
        }
        for (Path p : List.of(unetConfigFile(), unetWeightsFile(), schedulerConfigFile())) {
            if (!Files.isRegularFile(p)) {
                throw new CheckpointException(p + ": missing from the model folder " + root);
            }
        }
    }

    /**
     * The class names of a class-conditional model: {@code id2label} of {@code model_index.json} as a list
     * indexed by label, or an empty list when the key is absent or null (unconditional models, and every
     * folder written before class names were saved).
     *
     * @throws CheckpointException naming the file and the field when the file is missing, too large or not
     *     a JSON object, or {@code id2label} is not {"0": name, …, "K-1": name} with K ≤ {@value #MAX_CLASS_NAMES}
     */
    public List<String> readClassNames() throws IOException {
        Path index = modelIndexFile();
        JsonObject o = readModelIndex();
        if (!o.has(ID2LABEL) || o.get(ID2LABEL).isJsonNull()) {
            return List.of();
        }
        if (!o.get(ID2LABEL).isJsonObject()) {
            throw new CheckpointException(index + ": field \"" + ID2LABEL + "\" must be an object {\"0\": \"name\", ...}, "
                    + "got " + abbreviate(o.get(ID2LABEL).toString()) + "; remove the field for an unconditional model");
        }
        JsonObject map = o.getAsJsonObject(ID2LABEL);
        int k = map.size();
        if (k > MAX_CLASS_NAMES) {
            throw new CheckpointException(index + ": field \"" + ID2LABEL + "\" has " + k + " classes, more than the "
                    + MAX_CLASS_NAMES + " accepted; it must list one name per class id of the model");
        }
        List<String> names = new ArrayList<>(k);
        for (int i = 0; i < k; i++) {
            com.google.gson.JsonElement e = map.get(Integer.toString(i));
            if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw new CheckpointException(index + ": field \"" + ID2LABEL + "\" must map every id \"0\"..\"" + (k - 1)
                        + "\" to a name (a string); id \"" + i + "\" is "
                        + (e == null ? "missing" : "not a string but " + abbreviate(e.toString())));
            }
            names.add(e.getAsString());
        }
        return List.copyOf(names);
    }

    /** Reads {@code model_index.json} as a JSON object, refusing a missing, oversized or malformed file. */
    JsonObject readModelIndex() throws IOException {
        Path index = modelIndexFile();
        if (!Files.isRegularFile(index)) {
            throw new CheckpointException(index + ": missing; a diffusers model folder holds model_index.json, "
                    + UNET + "/ and " + SCHEDULER + "/ (train one with: diffusion4j train --out " + root + ")");
        }
        long size = Files.size(index);
        if (size > MAX_MODEL_INDEX_BYTES) {
            throw new CheckpointException(index + ": " + size + " bytes, more than the " + MAX_MODEL_INDEX_BYTES
                    + " accepted for a model index (it names the pipeline's parts and the class names)");
        }
        com.google.gson.JsonElement e;
        try {
            e = com.google.gson.JsonParser.parseString(Files.readString(index, java.nio.charset.StandardCharsets.UTF_8));
        } catch (java.nio.charset.CharacterCodingException x) {
            throw new CheckpointException(index + ": not UTF-8 text (model_index.json is UTF-8 JSON)", x);
        } catch (RuntimeException x) {
            throw new CheckpointException(index + ": not a JSON object (" + abbreviate(String.valueOf(x.getMessage())) + ")", x);
        }
        if (!e.isJsonObject()) {
            throw new CheckpointException(index + ": not a JSON object but " + abbreviate(e.toString()));
        }
        return e.getAsJsonObject();
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }

    /** Writes {@code model_index.json} atomically. */
    public void writeModelIndex() throws IOException {
        writeModelIndex(List.of());
    }

    /** Writes {@code model_index.json} atomically, with {@code id2label} when {@code classNames} is not empty. */
    public void writeModelIndex(List<String> classNames) throws IOException {
        writeIndex(ddpmModelIndexJson(classNames));
    }

    /**
     * Writes the {@code model_index.json} of a StableDiffusionPipeline diffusing pixels (no VAE) with a CLIP tokenizer and
     * text encoder, and copies {@code tokenizer/} and {@code text_encoder/} from {@code textEncoderDir}.
     */
    public void writeStableDiffusionIndex(Path textEncoderDir) throws IOException {
        writeStableDiffusionIndex(textEncoderDir, null);
    }

    /** As {@link #writeStableDiffusionIndex(Path)}, with {@code vaeDir} (an AutoencoderKL folder, or null) copied as {@code vae/}. */
    public void writeStableDiffusionIndex(Path textEncoderDir, Path vaeDir) throws IOException {
        writeStableDiffusionIndex(textEncoderDir, vaeDir, true);
    }

    /**
     * As {@link #writeStableDiffusionIndex(Path, Path)}; {@code copyEncoder} false copies only the tokenizer (the encoder was
     * trained with the U-Net and written already).
     */
    public void writeStableDiffusionIndex(Path textEncoderDir, Path vaeDir, boolean copyEncoder) throws IOException {
        for (String part : copyEncoder ? new String[] {"tokenizer", "text_encoder"} : new String[] {"tokenizer"}) {
            Path from = textEncoderDir.resolve(part);
            if (!Files.isDirectory(from)) {
                throw new CheckpointException(from + ": missing; the text encoder folder must hold tokenizer/ and text_encoder/ "
                        + "(as train-clip writes them)");
            }
            copyFiles(from, root.resolve(part));
        }
        if (vaeDir != null) {
            copyFiles(vaeDir, root.resolve("vae"));
        }
        writeIndex("{\n  \"_class_name\": \"StableDiffusionPipeline\",\n  \"_diffusers_version\": \""
                + DIFFUSERS_VERSION + "\",\n  \"feature_extractor\": [null, null],\n  \"image_encoder\": [null, null],\n"
                + "  \"requires_safety_checker\": false,\n  \"safety_checker\": [null, null],\n"
                + "  \"scheduler\": [\"diffusers\", \"DDPMScheduler\"],\n  \"text_encoder\": [\"transformers\", \"CLIPTextModel\"],\n"
                + "  \"tokenizer\": [\"transformers\", \"CLIPTokenizer\"],\n  \"unet\": [\"diffusers\", \"UNet2DConditionModel\"],\n"
                + "  \"vae\": " + (vaeDir == null ? "[null, null]" : "[\"diffusers\", \"AutoencoderKL\"]") + "\n}\n");
    }

    /** The class name of a super-resolution stage's {@code model_index.json} (this toolkit's; diffusers has no pixel one). */
    public static final String SUPER_RESOLUTION = "SuperResolutionPipeline";

    /**
     * Writes the {@code model_index.json} of a cascade's super-resolution stage: a UNet2DModel taking x_t and the upsampled
     * low-resolution image, {@code factor} times smaller, augmented at levels up to {@code maxNoiseLevel} in training.
     */
    public void writeSuperResolutionIndex(int factor, int maxNoiseLevel) throws IOException {
        writeIndex("{\n  \"_class_name\": \"" + SUPER_RESOLUTION + "\",\n  \"_diffusers_version\": \""
                + DIFFUSERS_VERSION + "\",\n  \"factor\": " + factor + ",\n  \"max_noise_level\": " + maxNoiseLevel + ",\n"
                + "  \"scheduler\": [\"diffusers\", \"DDPMScheduler\"],\n  \"unet\": [\"diffusers\", \"UNet2DModel\"]\n}\n");
    }

    /**
     * Writes {@code json} (an object starting "{\n") as {@code model_index.json} atomically, with the {@link PipelineDefaults}
     * entry of the file it replaces carried over first.
     */
    private void writeIndex(String json) throws IOException {
        com.google.gson.JsonElement kept = PipelineDefaults.kept(this);
        if (kept != null && !kept.isJsonNull()) {
            json = "{\n  \"" + PipelineDefaults.KEY + "\": " + kept + ",\n" + json.substring(json.indexOf('\n') + 1);
        }
        AtomicFiles.writeString(modelIndexFile(), json);
    }

    private static void copyFiles(Path from, Path to) throws IOException {
        try (java.util.stream.Stream<Path> files = Files.list(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(file)) {
                    Files.createDirectories(to);
                    AtomicFiles.write(to.resolve(file.getFileName().toString()), Files.readAllBytes(file));
                }
            }
        }
    }

    /** Writes {@code scheduler/scheduler_config.json} atomically (the text of a {@code SchedulerConfig}). */
    public void writeSchedulerConfig(String json) throws IOException {
        AtomicFiles.writeString(schedulerConfigFile(), json);
    }

    /**
     * Writes {@code unet/config.json} and {@code unet/diffusion_pytorch_model.safetensors} (weights
     * first, each atomically).
     *
     * @throws CheckpointException when a weight is NaN or infinite: non-finite weights are never saved
     */
    public void writeUnet(String configJson, Map<String, NDArray> weights) throws IOException {
        requireFinite(weights, unetWeightsFile());
        SafeTensors.write(unetWeightsFile(), weights, Map.of("format", "pt"));
        AtomicFiles.writeString(unetConfigFile(), configJson);
    }

    /**
     * Throws when any float tensor holds a NaN or an infinity, naming the tensor and {@code target}.
     */
    public static void requireFinite(Map<String, NDArray> arrays, Path target) throws CheckpointException {
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            NDArray a = e.getValue();
            if (a.getDataType() != DataType.FLOAT32) {
                continue;
            }
            FloatBuffer f = a.toByteBuffer().order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (int i = 0; i < f.limit(); i++) {
                if (!Float.isFinite(f.get(i))) {
                    throw new CheckpointException("refusing to write " + target + ": tensor \"" + e.getKey()
                            + "\" holds a non-finite value (" + f.get(i) + " at element " + i
                            + "); the training run diverged, the previous files are untouched");
                }
            }
        }
    }

    /** Deletes a folder and its contents (no symbolic links are followed). */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> paths = s.sorted(Comparator.reverseOrder()).toList();
            for (Path p : paths) {
                Files.deleteIfExists(p);
            }
        }
    }
}
