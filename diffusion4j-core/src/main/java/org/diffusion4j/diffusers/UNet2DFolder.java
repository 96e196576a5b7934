package org.diffusion4j.diffusers;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.io.WeightFiles;
import org.diffusion4j.nn.ModelFileException;
import org.diffusion4j.nn.StateDict;
import org.diffusion4j.nn.UNet2DConfig;
import org.diffusion4j.nn.UNet2DModel;

/**
 * A diffusers UNet folder ({@code unet/} of a pipeline, or what {@code UNet2DModel.save_pretrained} writes):
 * {@code config.json} ({@link UNet2DConfigJson}) and {@code diffusion_pytorch_model.safetensors} with
 * diffusers' state-dict names (the legacy attention names {@code query/key/value/proj_attn} are accepted).
 */
public final class UNet2DFolder {

    /** The weights file name of a diffusers model folder. */
    public static final String WEIGHTS_FILE = "diffusion_pytorch_model.safetensors";
    /** The configuration file name of a diffusers model folder. */
    public static final String CONFIG_FILE = "config.json";

    private UNet2DFolder() {}

    /**
     * Loads a diffusers UNet folder: {@code config.json} and {@code
     * diffusion_pytorch_model.safetensors}. Pickle checkpoints ({@code .bin}, {@code .ckpt},
     * {@code .pt}) are refused with the command that converts them.
     *
     * @param manager the model allocates its parameters in a new sub-manager of this one
     * @throws ModelFileException for an invalid config, a missing weights file, or weights that do not
     *     match the config (every missing, unexpected and misshapen tensor is listed)
     */
    public static UNet2DModel load(Path unetDir, NDManager manager) throws IOException {
        if (!Files.isDirectory(unetDir)) {
            throw new ModelFileException(unetDir + ": not a folder; expected a diffusers UNet folder holding "
                    + CONFIG_FILE + " and " + WEIGHTS_FILE);
        }
        UNet2DConfig config = UNet2DConfigJson.read(unetDir.resolve(CONFIG_FILE));
        Path weightsFile = unetDir.resolve(WEIGHTS_FILE);
        if (!Files.isRegularFile(weightsFile)) {
            List<String> pickles;
            try (Stream<Path> files = Files.list(unetDir)) {
                pickles = files.filter(WeightFiles::isPickleName).map(f -> f.getFileName().toString()).sorted().toList();
            }
            throw new ModelFileException(weightsFile + ": not found" + (pickles.isEmpty() ? ""
                    : "; the folder holds only pickle checkpoints " + pickles + ", which are refused (loading one can "
                    + "run arbitrary code). Convert with diffusers: python -c \"from diffusers import UNet2DModel; "
                    + "UNet2DModel.from_pretrained('" + unetDir + "', use_safetensors=False).save_pretrained('"
                    + unetDir + "', safe_serialization=True)\""));
        }
        SafeTensors st = SafeTensors.read(weightsFile);
        Map<String, String> byName;
        Map<String, Shape> shapes = new LinkedHashMap<>();
        Map<String, DataType> types = new LinkedHashMap<>();
        try {
            byName = StateDict.canonicalNames(st.names(), weightsFile.toString());
            byName.forEach((canonical, key) -> {
                SafeTensors.TensorInfo info = st.info(key);
                shapes.put(canonical, new Shape(info.shape()));
                types.put(canonical, info.dtype().djl());
            });
            StateDict.check(UNet2DModel.parameterShapes(config), shapes, types, weightsFile.toString());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(e.getMessage() + " (config: " + unetDir.resolve(CONFIG_FILE) + ")", e);
        }
        Map<String, String> keys = byName;
        return UNet2DModel.build(config, manager, (name, own) -> st.toNDArray(keys.get(name), own));
    }

    /**
     * Writes the diffusers folder layout: {@code config.json} (every field, {@code _class_name:
     * UNet2DModel}) and {@code diffusion_pytorch_model.safetensors} (diffusers names, sorted, F32,
     * metadata {@code format=pt}); each file is replaced atomically (weights first).
     */
    public static void save(UNet2DModel model, Path unetDir) throws IOException {
        Files.createDirectories(unetDir);
        SafeTensors.write(unetDir.resolve(WEIGHTS_FILE), model.parameters(), Map.of("format", "pt"));
        UNet2DConfigJson.write(model.config(), unetDir.resolve(CONFIG_FILE));
    }
}
