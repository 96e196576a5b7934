package org.diffusion4j.diffusers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.nn.ClipModel;
import org.diffusion4j.nn.ClipTextConfig;
import org.diffusion4j.nn.ModelFileException;

/**
 * The whole CLIP model of a {@code train-clip} folder, for the CLIP score: {@code clip_model.safetensors} (every
 * parameter: text encoder, projections, image encoder, logit_scale) and {@code clip_config.json} (the image encoder's
 * channels and width, the embedding width); the text encoder's config is {@code text_encoder/config.json}.
 */
public final class ClipModelFiles {

    public static final String WEIGHTS = "clip_model.safetensors";
    public static final String CONFIG = "clip_config.json";

    private ClipModelFiles() {}

    /** Writes the model's weights and image-encoder config into {@code dir} (next to text_encoder/). */
    public static void save(ClipModel model, int channels, int width, Path dir) throws IOException {
        Files.createDirectories(dir);
        SafeTensors.write(dir.resolve(WEIGHTS), model.parameters(), Map.of("format", "pt"));
        AtomicFiles.writeString(dir.resolve(CONFIG), "{\n  \"channels\": " + channels + ",\n  \"width\": " + width
                + ",\n  \"embed_dim\": " + model.embedDim() + "\n}\n");
    }

    /** Loads the CLIP model of a train-clip folder. */
    public static ClipModel load(Path dir, NDManager manager) throws IOException {
        Path config = dir.resolve(CONFIG);
        if (!Files.isRegularFile(config) || !Files.isRegularFile(dir.resolve(WEIGHTS))) {
            throw new ModelFileException(dir + ": not a train-clip folder with the whole model (" + CONFIG + ", " + WEIGHTS
                    + "); run train-clip again to write them");
        }
        JsonFields f = JsonFields.parse(Files.readString(config, StandardCharsets.UTF_8), config.toString());
        ClipTextConfig text = ClipTextFolder.readConfig(dir.resolve("text_encoder").resolve(ClipTextFolder.CONFIG_FILE));
        ClipModel model = new ClipModel(text, f.integer("channels", 3), f.integer("width", 32), f.integer("embed_dim", 64), manager, 0);
        SafeTensors st = SafeTensors.read(dir.resolve(WEIGHTS));
        try (NDManager sub = manager.newSubManager()) {
            Map<String, NDArray> weights = new LinkedHashMap<>();
            for (String name : st.names()) {
                weights.put(name, st.toNDArray(name, sub));
            }
            model.loadParameters(weights);
        } catch (IllegalArgumentException e) {
            model.close();
            throw new ModelFileException(dir.resolve(WEIGHTS) + ": " + e.getMessage(), e);
        }
        return model;
    }
}
