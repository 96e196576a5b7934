package org.diffusion4j.diffusers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.nn.ClipTextConfig;
import org.diffusion4j.nn.ClipTextModel;
import org.diffusion4j.nn.ModelFileException;
import org.diffusion4j.nn.StateDict;

/**
 * A transformers CLIPTextModel folder ({@code text_encoder/} of a StableDiffusionPipeline): {@code config.json}
 * (CLIPTextConfig keys) and {@code model.safetensors} with transformers' names ({@code text_model.…}; the
 * {@code position_ids} buffer some versions save is ignored).
 */
public final class ClipTextFolder {

    public static final String CONFIG_FILE = "config.json";
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** transformers' position_ids buffer: saved by some versions, not a parameter. */
    private static final String POSITION_IDS = "text_model.embeddings.position_ids";

    private ClipTextFolder() {}

    /** Reads and validates a CLIPTextConfig {@code config.json}. */
    public static ClipTextConfig readConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "missing; a CLIPTextModel folder holds config.json and "
                    + WEIGHTS_FILE);
        }
        JsonFields f = JsonFields.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        try {
            return new ClipTextConfig(f.integer("vocab_size", 49408), f.integer("hidden_size", 512),
                    f.integer("intermediate_size", 2048), f.integer("num_hidden_layers", 12), f.integer("num_attention_heads", 8),
                    f.integer("max_position_embeddings", 77), f.number("layer_norm_eps", 1e-5),
                    f.string("hidden_act", "quick_gelu"), f.integer("eos_token_id", 2));
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file + ": " + e.getMessage(), e);
        }
    }

    /** Loads the text encoder in {@code dir}; its parameters live in a sub-manager of {@code manager}. */
    public static ClipTextModel load(Path dir, NDManager manager) throws IOException {
        ClipTextConfig config = readConfig(dir.resolve(CONFIG_FILE));
        Path weights = dir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new ModelFileException(weights + ": not found" + (Files.exists(dir.resolve("pytorch_model.bin"))
                    ? "; the folder holds only pytorch_model.bin, a pickle, which is refused (loading one can run arbitrary code). "
                    + "Convert with transformers: CLIPTextModel.from_pretrained(DIR).save_pretrained(DIR, safe_serialization=True)" : ""));
        }
        SafeTensors st = SafeTensors.read(weights);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        Map<String, DataType> types = new LinkedHashMap<>();
        for (String name : st.names()) {
            if (!name.equals(POSITION_IDS)) {
                shapes.put(name, new Shape(st.info(name).shape()));
                types.put(name, st.info(name).dtype().djl());
            }
        }
        try {
            StateDict.check(ClipTextModel.parameterShapes(config), shapes, types, weights.toString());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(e.getMessage() + " (config: " + dir.resolve(CONFIG_FILE) + ")", e);
        }
        return ClipTextModel.build(config, manager, st::toNDArray);
    }

    /** Writes {@code config.json} and {@code model.safetensors} as transformers' save_pretrained (weights first). */
    public static void save(ClipTextModel model, Path dir) throws IOException {
        save(model.config(), model.parameters(), dir);
    }

    /** Writes {@code weights} (named {@code text_model.*}) and a {@code config.json} of {@code c}, as {@link #save(ClipTextModel, Path)}. */
    public static void save(ClipTextConfig c, Map<String, NDArray> weights, Path dir) throws IOException {
        Files.createDirectories(dir);
        SafeTensors.write(dir.resolve(WEIGHTS_FILE), weights, Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve(CONFIG_FILE), "{\n  \"architectures\": [\"CLIPTextModel\"],\n"
                + "  \"bos_token_id\": 0,\n  \"eos_token_id\": " + c.eosTokenId() + ",\n  \"hidden_act\": \"" + c.hiddenAct() + "\",\n"
                + "  \"hidden_size\": " + c.hiddenSize() + ",\n  \"intermediate_size\": " + c.intermediateSize() + ",\n"
                + "  \"layer_norm_eps\": " + c.layerNormEps() + ",\n  \"max_position_embeddings\": " + c.maxPositionEmbeddings() + ",\n"
                + "  \"model_type\": \"clip_text_model\",\n  \"num_attention_heads\": " + c.numAttentionHeads() + ",\n"
                + "  \"num_hidden_layers\": " + c.numHiddenLayers() + ",\n  \"pad_token_id\": 1,\n  \"torch_dtype\": \"float32\",\n"
                + "  \"vocab_size\": " + c.vocabSize() + "\n}\n");
    }
}
