package org.diffusion4j.diffusers;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.nn.ModelFileException;
import org.diffusion4j.nn.UNet2DConfig;
import org.diffusion4j.nn.UNet2DConfig.DownBlockType;
import org.diffusion4j.nn.UNet2DConfig.UpBlockType;

/**
 * diffusers' {@code UNet2DModel} {@code config.json} (diffusers 0.31) ↔ {@link UNet2DConfig}. Reading takes
 * diffusers' defaults for missing fields, ignores keys that do not change the network (as diffusers does)
 * and refuses the architecture variants this toolkit does not compute, naming the file, the field and what
 * is accepted; writing is what diffusers' {@code save_config} writes: every field, keys sorted.
 */
public final class UNet2DConfigJson {

    private UNet2DConfigJson() {}

    /** Reads and validates a {@code config.json}. */
    public static UNet2DConfig read(Path configJson) throws IOException {
        String text;
        try {
            text = Files.readString(configJson, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new ModelFileException(configJson + ": not valid UTF-8 text (config.json must be UTF-8 JSON)", e);
        } catch (NoSuchFileException e) {
            throw new ModelFileException(configJson + ": file not found (a diffusers UNet folder holds config.json "
                    + "and diffusion_pytorch_model.safetensors)", e);
        }
        try {
            return parse(text, configJson.toString());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(e.getMessage(), e);
        }
    }

    /**
     * Parses and validates the JSON text of a {@code config.json}.
     *
     * @param source what to call the text in error messages (usually the file's path)
     * @throws IllegalArgumentException naming {@code source}, the field and the accepted values
     */
    public static UNet2DConfig parse(String json, String source) {
        return fromJson(JsonFields.parse(json, source));
    }

    /** The config in a parsed JSON object (a training config's {@code model} object, say). */
    public static UNet2DConfig fromJson(JsonFields f) {
        String source = f.source();
        String cls = f.nullableString("_class_name", "UNet2DModel");
        if (cls != null && !cls.equals("UNet2DModel")) {
            throw new IllegalArgumentException(source + ": field \"_class_name\" is \"" + cls
                    + "\", but this loader reads only \"UNet2DModel\" configs");
        }
        // Architecture variants diffusers offers but this implementation does not compute.
        requireChoice(f, "time_embedding_type", "positional");
        requireChoice(f, "act_fn", "silu");
        requireChoice(f, "resnet_time_scale_shift", "default");
        requireChoice(f, "downsample_type", "conv");
        requireChoice(f, "upsample_type", "conv");
        requireChoice(f, "mid_block_type", "UNetMidBlock2D");
        String classEmbedType = f.nullableString("class_embed_type", null);
        if (classEmbedType != null) {
            throw new IllegalArgumentException(source + ": field \"class_embed_type\" = \"" + classEmbedType
                    + "\" is not supported; supported: null");
        }
        if (!f.isNull("attention_legacy_order") && f.bool("attention_legacy_order", false)) {
            throw new IllegalArgumentException(source + ": field \"attention_legacy_order\" = true is not supported; "
                    + "supported: false");
        }
        UNet2DConfig.Builder b = UNet2DConfig.builder().optSource(source)
                .setSampleSize(sampleSize(f))
                .setInChannels(f.integer("in_channels", 3))
                .setOutChannels(f.integer("out_channels", 3))
                .optCenterInputSample(f.bool("center_input_sample", false))
                .optFreqShift(f.number("freq_shift", 0))
                .optFlipSinToCos(f.bool("flip_sin_to_cos", true))
                .setBlockOutChannels(f.intList("block_out_channels", "a list of positive integers"))
                .setDownBlockTypes(f.stringList("down_block_types", "a list of block type names").stream()
                        .map(s -> downType(s, source)).toArray(DownBlockType[]::new))
                .setUpBlockTypes(f.stringList("up_block_types", "a list of block type names").stream()
                        .map(s -> upType(s, source)).toArray(UpBlockType[]::new))
                .optLayersPerBlock(f.integer("layers_per_block", 2))
                .optMidBlockScaleFactor(f.number("mid_block_scale_factor", 1))
                .optDownsamplePadding(f.integer("downsample_padding", 1))
                .optDropout(f.number("dropout", 0))
                .optAttentionHeadDim(f.nullableInteger("attention_head_dim", 8))
                .optNormNumGroups(f.integer("norm_num_groups", 32))
                .optAttnNormNumGroups(f.nullableInteger("attn_norm_num_groups", null))
                .optNormEps(f.number("norm_eps", 1e-5))
                .optAddAttention(f.bool("add_attention", true))
                .optNumClassEmbeds(f.nullableInteger("num_class_embeds", null))
                .optNumTrainTimesteps(f.nullableInteger("num_train_timesteps", null));
        return b.build();
    }

    /** The {@code config.json} text diffusers' {@code save_config} would write: every field, keys sorted. */
    public static String toJson(UNet2DConfig c) {
        Map<String, JsonElement> m = new TreeMap<>();
        m.put("_class_name", new JsonPrimitive("UNet2DModel"));
        m.put("_diffusers_version", new JsonPrimitive(UNet2DConfig.DIFFUSERS_VERSION));
        m.put("act_fn", new JsonPrimitive("silu"));
        m.put("add_attention", new JsonPrimitive(c.addAttention()));
        m.put("attention_head_dim", nullable(c.attentionHeadDim()));
        m.put("attn_norm_num_groups", nullable(c.attnNormNumGroups()));
        JsonArray channels = new JsonArray();
        for (int ch : c.blockOutChannels()) {
            channels.add(ch);
        }
        m.put("block_out_channels", channels);
        m.put("center_input_sample", new JsonPrimitive(c.centerInputSample()));
        m.put("class_embed_type", JsonNull.INSTANCE);
        JsonArray down = new JsonArray();
        c.downBlockTypes().forEach(t -> down.add(t.configName()));
        m.put("down_block_types", down);
        m.put("downsample_padding", new JsonPrimitive(c.downsamplePadding()));
        m.put("downsample_type", new JsonPrimitive("conv"));
        m.put("dropout", new JsonPrimitive(c.dropout()));
        m.put("flip_sin_to_cos", new JsonPrimitive(c.flipSinToCos()));
        m.put("freq_shift", number(c.freqShift()));
        m.put("in_channels", new JsonPrimitive(c.inChannels()));
        m.put("layers_per_block", new JsonPrimitive(c.layersPerBlock()));
        m.put("mid_block_scale_factor", number(c.midBlockScaleFactor()));
        m.put("norm_eps", new JsonPrimitive(c.normEps()));
        m.put("norm_num_groups", new JsonPrimitive(c.normNumGroups()));
        m.put("num_class_embeds", nullable(c.numClassEmbeds()));
        m.put("num_train_timesteps", nullable(c.numTrainTimesteps()));
        m.put("out_channels", new JsonPrimitive(c.outChannels()));
        m.put("resnet_time_scale_shift", new JsonPrimitive("default"));
        m.put("sample_size", new JsonPrimitive(c.sampleSize()));
        m.put("time_embedding_type", new JsonPrimitive("positional"));
        JsonArray up = new JsonArray();
        c.upBlockTypes().forEach(t -> up.add(t.configName()));
        m.put("up_block_types", up);
        m.put("upsample_type", new JsonPrimitive("conv"));
        JsonObject o = new JsonObject();
        m.forEach(o::add);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n";
    }

    /** Writes {@link #toJson} to {@code configJson} atomically (temporary file, fsync, rename). */
    public static void write(UNet2DConfig c, Path configJson) throws IOException {
        AtomicFiles.writeString(configJson, toJson(c));
    }

    private static int sampleSize(JsonFields f) {
        JsonElement e = f.required("sample_size", "a positive integer (image height = width)");
        if (e.isJsonArray()) {
            List<JsonElement> a = e.getAsJsonArray().asList();
            if (a.size() == 2 && a.get(0).equals(a.get(1)) && a.get(0).isJsonPrimitive()) {
                return f.integerOf("sample_size", a.get(0));
            }
            throw new IllegalArgumentException(f.source() + ": field \"sample_size\" = " + e
                    + " is not supported; only square samples: a single integer");
        }
        if (!JsonFields.isInt(e)) {
            throw f.mustBe("sample_size", "a positive integer");
        }
        return f.integer("sample_size", 0);
    }

    private static void requireChoice(JsonFields f, String field, String supported) {
        String v = f.string(field, supported);
        if (!v.equals(supported)) {
            throw new IllegalArgumentException(f.source() + ": field \"" + field + "\" = \"" + v
                    + "\" is not supported; supported: " + supported);
        }
    }

    private static JsonElement nullable(Integer v) {
        return v == null ? JsonNull.INSTANCE : new JsonPrimitive(v);
    }

    private static JsonPrimitive number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? new JsonPrimitive((long) v) : new JsonPrimitive(v);
    }

    private static DownBlockType downType(String s, String source) {
        for (DownBlockType t : DownBlockType.values()) {
            if (t.configName().equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException(source + ": field \"down_block_types\" contains \"" + s
                + "\", which is not supported; supported: [\"DownBlock2D\", \"AttnDownBlock2D\"]");
    }

    private static UpBlockType upType(String s, String source) {
        for (UpBlockType t : UpBlockType.values()) {
            if (t.configName().equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException(source + ": field \"up_block_types\" contains \"" + s
                + "\", which is not supported; supported: [\"UpBlock2D\", \"AttnUpBlock2D\"]");
    }
}
