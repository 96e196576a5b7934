package org.diffusion4j.diffusers;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.nn.ModelFileException;
import org.diffusion4j.nn.StateDict;
import org.diffusion4j.nn.UNet2DConditionConfig;
import org.diffusion4j.nn.UNet2DConditionModel;

/**
 * A diffusers UNet2DConditionModel folder ({@code unet/} of a StableDiffusionPipeline): {@code config.json} and
 * {@code diffusion_pytorch_model.safetensors}. Variants this toolkit does not compute (linear projections,
 * per-level head counts, added embeddings, …) are refused naming the field.
 */
public final class UNet2DConditionFolder {

    private UNet2DConditionFolder() {}

    /** Reads and validates a UNet2DConditionModel {@code config.json}. */
    public static UNet2DConditionConfig readConfig(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "missing; a diffusers UNet folder holds config.json and "
                    + UNet2DFolder.WEIGHTS_FILE);
        }
        JsonFields f = JsonFields.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        try {
            return parse(f);
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(e.getMessage().startsWith(file.toString()) ? e.getMessage() : file + ": " + e.getMessage(), e);
        }
    }

    static UNet2DConditionConfig parse(JsonFields f) {
        f.requireValue("_class_name", "UNet2DConditionModel", "this loader reads UNet2DConditionModel configs");
        f.requireValue("act_fn", "silu", "only SiLU is implemented");
        f.requireValue("time_embedding_type", "positional", "only the sinusoidal time embedding is implemented");
        f.requireValue("mid_block_type", "UNetMidBlock2DCrossAttn", "only the cross-attention mid block is implemented");
        f.requireValue("resnet_time_scale_shift", "default", "scale_shift conditioning is not implemented");
        for (String off : new String[] {"use_linear_projection", "only_cross_attention", "dual_cross_attention",
            "class_embeddings_concat", "resnet_skip_time_act"}) {
            if (f.bool(off, false)) {
                throw f.error(off, "is true, which is not supported", "this toolkit implements " + off + " = false");
            }
        }
        for (String absent : new String[] {"class_embed_type", "addition_embed_type", "encoder_hid_dim", "time_cond_proj_dim",
            "num_class_embeds", "time_embedding_dim", "timestep_post_act"}) {
            if (f.has(absent) && !f.isNull(absent)) {
                throw f.error(absent, "is set, which is not supported", "this toolkit implements " + absent + " = null");
            }
        }
        if (f.integer("conv_in_kernel", 3) != 3 || f.integer("conv_out_kernel", 3) != 3) {
            throw f.error("conv_in_kernel", "must be 3 (and conv_out_kernel too)", "use 3");
        }
        int heads = f.integer("attention_head_dim", 8);
        if (f.has("num_attention_heads") && !f.isNull("num_attention_heads")) {
            heads = f.integer("num_attention_heads", heads);
        }
        List<Boolean> down = new ArrayList<>();
        for (String t : f.stringList("down_block_types", "a list of block type names")) {
            down.add(blockType(f, "down_block_types", t, "CrossAttnDownBlock2D", "DownBlock2D"));
        }
        List<Boolean> up = new ArrayList<>();
        for (String t : f.stringList("up_block_types", "a list of block type names")) {
            up.add(blockType(f, "up_block_types", t, "CrossAttnUpBlock2D", "UpBlock2D"));
        }
        return new UNet2DConditionConfig(f.integer("sample_size", 64), f.integer("in_channels", 4), f.integer("out_channels", 4),
                f.intList("block_out_channels", "a list of positive integers"), down, up, f.integer("layers_per_block", 2), heads,
                f.integer("cross_attention_dim", 1280), f.integer("norm_num_groups", 32), f.number("norm_eps", 1e-5),
                f.bool("flip_sin_to_cos", true), f.number("freq_shift", 0), f.integer("downsample_padding", 1),
                f.number("mid_block_scale_factor", 1), f.integer("transformer_layers_per_block", 1));
    }

    /** The {@code config.json} of {@code c} as diffusers writes it (the fields this toolkit reads, keys sorted). */
    public static String toJson(UNet2DConditionConfig c) {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("_class_name", "UNet2DConditionModel");
        o.addProperty("_diffusers_version", ModelFolder.DIFFUSERS_VERSION);
        o.addProperty("act_fn", "silu");
        o.addProperty("attention_head_dim", c.heads());
        com.google.gson.JsonArray ch = new com.google.gson.JsonArray();
        for (int v : c.blockOutChannels()) {
            ch.add(v);
        }
        o.add("block_out_channels", ch);
        o.addProperty("cross_attention_dim", c.crossAttentionDim());
        com.google.gson.JsonArray down = new com.google.gson.JsonArray();
        c.crossAttnDown().forEach(x -> down.add(x ? "CrossAttnDownBlock2D" : "DownBlock2D"));
        o.add("down_block_types", down);
        o.addProperty("downsample_padding", c.downsamplePadding());
        o.addProperty("flip_sin_to_cos", c.flipSinToCos());
        o.addProperty("freq_shift", c.freqShift());
        o.addProperty("in_channels", c.inChannels());
        o.addProperty("layers_per_block", c.layersPerBlock());
        o.addProperty("mid_block_scale_factor", c.midBlockScaleFactor());
        o.addProperty("mid_block_type", "UNetMidBlock2DCrossAttn");
        o.addProperty("norm_eps", c.normEps());
        o.addProperty("norm_num_groups", c.normNumGroups());
        o.addProperty("out_channels", c.outChannels());
        o.addProperty("sample_size", c.sampleSize());
        o.addProperty("transformer_layers_per_block", c.transformerLayersPerBlock());
        com.google.gson.JsonArray up = new com.google.gson.JsonArray();
        c.crossAttnUp().forEach(x -> up.add(x ? "CrossAttnUpBlock2D" : "UpBlock2D"));
        o.add("up_block_types", up);
        o.addProperty("use_linear_projection", false);
        return new com.google.gson.GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n";
    }

    /** Parses a UNet2DConditionModel config object (a training config's {@code model}, say). */
    public static UNet2DConditionConfig fromJson(JsonFields f) {
        return parse(f);
    }

    private static boolean blockType(JsonFields f, String field, String t, String crossAttn, String plain) {
        if (t.equals(crossAttn) || t.equals(plain)) {
            return t.equals(crossAttn);
        }
        throw f.error(field, "contains \"" + t + "\", which is not supported", "supported: " + crossAttn + ", " + plain);
    }

    /** Loads the U-Net in {@code dir}; its parameters live in a sub-manager of {@code manager}. */
    public static UNet2DConditionModel load(Path dir, NDManager manager) throws IOException {
        UNet2DConditionConfig config = readConfig(dir.resolve(UNet2DFolder.CONFIG_FILE));
        Path weights = dir.resolve(UNet2DFolder.WEIGHTS_FILE);
        if (!Files.isRegularFile(weights)) {
            throw new ModelFileException(weights + ": not found (pickle .bin weights are refused; convert with diffusers' "
                    + "save_pretrained(DIR, safe_serialization=True))");
        }
        SafeTensors st = SafeTensors.read(weights);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        Map<String, DataType> types = new LinkedHashMap<>();
        for (String name : st.names()) {
            shapes.put(name, new Shape(st.info(name).shape()));
            types.put(name, st.info(name).dtype().djl());
        }
        try {
            StateDict.check(UNet2DConditionModel.parameterShapes(config), shapes, types, weights.toString());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(e.getMessage() + " (config: " + dir.resolve(UNet2DFolder.CONFIG_FILE) + ")", e);
        }
        return UNet2DConditionModel.build(config, manager, st::toNDArray);
    }
}
