package org.diffusion4j.diffusers;

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
import org.diffusion4j.nn.AutoencoderKL;
import org.diffusion4j.nn.AutoencoderKLConfig;
import org.diffusion4j.nn.ModelFileException;
import org.diffusion4j.nn.StateDict;

/** A diffusers AutoencoderKL folder ({@code vae/} of a StableDiffusionPipeline): {@code config.json} and the weights. */
public final class AutoencoderKLFolder {

    private AutoencoderKLFolder() {}

    /** Reads and validates an AutoencoderKL {@code config.json}, refusing the variants this toolkit does not compute. */
    public static AutoencoderKLConfig readConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "missing; a diffusers AutoencoderKL folder holds config.json and "
                    + UNet2DFolder.WEIGHTS_FILE);
        }
        JsonFields f = JsonFields.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        try {
            f.requireValue("_class_name", "AutoencoderKL", "this loader reads AutoencoderKL configs");
            f.requireValue("act_fn", "silu", "only SiLU is implemented");
            for (String on : new String[] {"use_quant_conv", "use_post_quant_conv"}) {
                if (!f.bool(on, true)) {
                    throw f.error(on, "is false, which is not supported", "this toolkit implements " + on + " = true");
                }
            }
            if (f.has("shift_factor") && !f.isNull("shift_factor")) {
                throw f.error("shift_factor", "is set, which is not supported", "use null");
            }
            int levels = f.intList("block_out_channels", "a list of positive integers").length;
            for (String t : f.stringList("down_block_types", "a list of block type names")) {
                if (!t.equals("DownEncoderBlock2D")) {
                    throw f.error("down_block_types", "contains \"" + t + "\", which is not supported", "use DownEncoderBlock2D");
                }
            }
            for (String t : f.stringList("up_block_types", "a list of block type names")) {
                if (!t.equals("UpDecoderBlock2D")) {
                    throw f.error("up_block_types", "contains \"" + t + "\", which is not supported", "use UpDecoderBlock2D");
                }
            }
            if (f.stringList("down_block_types", "").size() != levels || f.stringList("up_block_types", "").size() != levels) {
                throw f.error("down_block_types", "needs one entry per entry of block_out_channels", "list " + levels + " block types");
            }
            return new AutoencoderKLConfig(f.integer("in_channels", 3), f.integer("out_channels", 3), f.integer("latent_channels", 4),
                    f.intList("block_out_channels", ""), f.integer("layers_per_block", 1), f.integer("norm_num_groups", 32),
                    f.integer("sample_size", 32), f.number("scaling_factor", 0.18215), f.bool("mid_block_add_attention", true));
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(e.getMessage().startsWith(file.toString()) ? e.getMessage() : file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Writes {@code dir/diffusion_pytorch_model.safetensors} (weights first) and {@code dir/config.json} — diffusers'
     * AutoencoderKL fields, with {@code config}'s scaling_factor — as diffusers' save_pretrained.
     */
    public static void save(AutoencoderKL model, AutoencoderKLConfig config, Path dir) throws IOException {
        Files.createDirectories(dir);
        SafeTensors.write(dir.resolve(UNet2DFolder.WEIGHTS_FILE), model.parameters(), Map.of("format", "pt"));
        int[] ch = config.blockOutChannels();
        String down = String.join(", ", java.util.Collections.nCopies(ch.length, "\"DownEncoderBlock2D\""));
        String up = String.join(", ", java.util.Collections.nCopies(ch.length, "\"UpDecoderBlock2D\""));
        String widths = String.join(", ", java.util.Arrays.stream(ch).mapToObj(Integer::toString).toList());
        AtomicFiles.writeString(dir.resolve(UNet2DFolder.CONFIG_FILE), "{\n  \"_class_name\": \"AutoencoderKL\",\n"
                + "  \"_diffusers_version\": \"0.31.0\",\n  \"act_fn\": \"silu\",\n  \"block_out_channels\": [" + widths + "],\n"
                + "  \"down_block_types\": [" + down + "],\n  \"force_upcast\": false,\n  \"in_channels\": " + config.inChannels() + ",\n"
                + "  \"latent_channels\": " + config.latentChannels() + ",\n  \"latents_mean\": null,\n  \"latents_std\": null,\n"
                + "  \"layers_per_block\": " + config.layersPerBlock() + ",\n  \"mid_block_add_attention\": " + config.midBlockAttention() + ",\n"
                + "  \"norm_num_groups\": " + config.normNumGroups() + ",\n  \"out_channels\": " + config.outChannels() + ",\n"
                + "  \"sample_size\": " + config.sampleSize() + ",\n  \"scaling_factor\": " + config.scalingFactor() + ",\n"
                + "  \"shift_factor\": null,\n  \"up_block_types\": [" + up + "],\n  \"use_post_quant_conv\": true,\n"
                + "  \"use_quant_conv\": true\n}\n");
    }

    /** Loads the auto-encoder in {@code dir}; its parameters live in a sub-manager of {@code manager}. */
    public static AutoencoderKL load(Path dir, NDManager manager) throws IOException {
        AutoencoderKLConfig config = readConfig(dir.resolve(UNet2DFolder.CONFIG_FILE));
        Path weights = dir.resolve(UNet2DFolder.WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new ModelFileException(weights + ": not found (pickle .bin weights are refused; convert with diffusers' "
                    + "save_pretrained(DIR, safe_serialization=True))");
        }
        SafeTensors st = SafeTensors.read(weights);
        Map<String, String> byName = StateDict.canonicalNames(st.names(), weights.toString());
        Map<String, Shape> shapes = new LinkedHashMap<>();
        Map<String, DataType> types = new LinkedHashMap<>();
        byName.forEach((canonical, key) -> {
            shapes.put(canonical, new Shape(st.info(key).shape()));
            types.put(canonical, st.info(key).dtype().djl());
        });
        try {
            StateDict.check(AutoencoderKL.parameterShapes(config), shapes, types, weights.toString());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(e.getMessage() + " (config: " + dir.resolve(UNet2DFolder.CONFIG_FILE) + ")", e);
        }
        return AutoencoderKL.build(config, manager, (name, own) -> st.toNDArray(byName.get(name), own));
    }
}
