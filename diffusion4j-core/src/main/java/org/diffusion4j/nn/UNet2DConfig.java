package org.diffusion4j.nn;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.diffusion4j.io.AtomicFiles;

/**
 * The architecture of a {@link UNet2DModel}: the fields of diffusers' {@code UNet2DModel}
 * {@code config.json} (diffusers 0.31), with their defaults, restricted to the variants this
 * implementation computes (positional time embedding, SiLU, {@code DownBlock2D}/{@code
 * AttnDownBlock2D}/{@code UpBlock2D}/{@code AttnUpBlock2D}, conv down/up sampling, mid block with
 * optional attention, optional class embedding table).
 *
 * <p>Immutable and fully validated: every instance describes a network that can be built. Build one
 * with {@link #builder()} or read one with {@link #load(Path)}/{@link #parse(String, String)};
 * errors name the source ({@code config.json} path), the field, the value and what is accepted.
 * Missing optional fields take diffusers' defaults; keys this class does not know (e.g. {@code
 * _diffusers_version}) are ignored, as diffusers does.
 */
public final class UNet2DConfig {

    /** The diffusers version whose {@code UNet2DModel} this class mirrors (written as {@code _diffusers_version}). */
    public static final String DIFFUSERS_VERSION = "0.31.0";

    /** Sanity limits: anything above is refused as a typo, before allocating anything. */
    static final int MAX_SAMPLE_SIZE = 8192;
    static final int MAX_CHANNELS = 16384;
    static final int MAX_LEVELS = 8;
    static final int MAX_LAYERS_PER_BLOCK = 64;
    static final int MAX_CLASS_EMBEDS = 10_000_000;

    /**
     * The default cap on the parameter count: 2^29 = 536,870,912 parameters, 2 GiB of float32 weights
     * (google/ddpm-cifar10-32 has 35.7 M, the 256² diffusers DDPMs about 114 M).
     *
     * <p>The cap is fixed rather than derived from {@link Runtime#maxMemory()}: the weights live in
     * libtorch's native memory, outside the Java heap, so {@code -Xmx} says nothing about whether they
     * fit, and a cap that depends on the machine would make the same {@code config.json} load on one
     * computer and not on another. Without a cap a few-hundred-byte config can ask for billions of
     * parameters and the process dies allocating them instead of failing with a message. Training
     * holds about five copies (weights, gradients, EMA, two AdamW moments), so 2 GiB of weights is
     * already ~10 GiB in a training run. Raise it with {@value #MAX_PARAMETERS_PROPERTY} on a machine
     * with the memory.
     */
    public static final long DEFAULT_MAX_PARAMETERS = 1L << 29;

    /** The system property overriding {@link #DEFAULT_MAX_PARAMETERS} (a whole number of parameters). */
    public static final String MAX_PARAMETERS_PROPERTY = "diffusion4j.maxParams";

    /** The down block kinds: plain residual blocks, or residual blocks each followed by self-attention. */
    public enum DownBlockType {
        DOWN_BLOCK_2D("DownBlock2D", false),
        ATTN_DOWN_BLOCK_2D("AttnDownBlock2D", true);

        private final String configName;
        private final boolean attention;

        DownBlockType(String configName, boolean attention) {
            this.configName = configName;
            this.attention = attention;
        }

        /** The name in {@code config.json}. */
        public String configName() {
            return configName;
        }

        /** Whether each residual block is followed by self-attention. */
        public boolean hasAttention() {
            return attention;
        }
    }

    /** The up block kinds: plain residual blocks, or residual blocks each followed by self-attention. */
    public enum UpBlockType {
        UP_BLOCK_2D("UpBlock2D", false),
        ATTN_UP_BLOCK_2D("AttnUpBlock2D", true);

        private final String configName;
        private final boolean attention;

        UpBlockType(String configName, boolean attention) {
            this.configName = configName;
            this.attention = attention;
        }

        /** The name in {@code config.json}. */
        public String configName() {
            return configName;
        }

        /** Whether each residual block is followed by self-attention. */
        public boolean hasAttention() {
            return attention;
        }
    }

    private final int sampleSize;
    private final int inChannels;
    private final int outChannels;
    private final boolean centerInputSample;
    private final double freqShift;
    private final boolean flipSinToCos;
    private final List<DownBlockType> downBlockTypes;
    private final List<UpBlockType> upBlockTypes;
    private final int[] blockOutChannels;
    private final int layersPerBlock;
    private final double midBlockScaleFactor;
    private final int downsamplePadding;
    private final double dropout;
    private final Integer attentionHeadDim;
    private final int normNumGroups;
    private final Integer attnNormNumGroups;
    private final double normEps;
    private final boolean addAttention;
    private final Integer numClassEmbeds;
    private final Integer numTrainTimesteps;

    private UNet2DConfig(Builder b) {
        sampleSize = b.sampleSize;
        inChannels = b.inChannels;
        outChannels = b.outChannels;
        centerInputSample = b.centerInputSample;
        freqShift = b.freqShift;
        flipSinToCos = b.flipSinToCos;
        downBlockTypes = List.copyOf(b.downBlockTypes);
        upBlockTypes = List.copyOf(b.upBlockTypes);
        blockOutChannels = b.blockOutChannels.clone();
        layersPerBlock = b.layersPerBlock;
        midBlockScaleFactor = b.midBlockScaleFactor;
        downsamplePadding = b.downsamplePadding;
        dropout = b.dropout;
        attentionHeadDim = b.attentionHeadDim;
        normNumGroups = b.normNumGroups;
        attnNormNumGroups = b.attnNormNumGroups;
        normEps = b.normEps;
        addAttention = b.addAttention;
        numClassEmbeds = b.numClassEmbeds;
        numTrainTimesteps = b.numTrainTimesteps;
    }

    // ---------------------------------------------------------------- accessors

    /** {@code sample_size}: height = width of the images the model is trained on. */
    public int sampleSize() {
        return sampleSize;
    }

    /** {@code in_channels}. */
    public int inChannels() {
        return inChannels;
    }

    /** {@code out_channels}. */
    public int outChannels() {
        return outChannels;
    }

    /** {@code center_input_sample}: the forward maps x to 2x - 1 first. */
    public boolean centerInputSample() {
        return centerInputSample;
    }

    /** {@code freq_shift}: the sinusoidal frequencies are exp(-ln(10000) k / (half - freq_shift)). */
    public double freqShift() {
        return freqShift;
    }

    /** {@code flip_sin_to_cos}: the time projection is [cos, sin] instead of [sin, cos]. */
    public boolean flipSinToCos() {
        return flipSinToCos;
    }

    /** {@code down_block_types}, one per resolution level. */
    public List<DownBlockType> downBlockTypes() {
        return downBlockTypes;
    }

    /** {@code up_block_types}, one per resolution level, lowest resolution first. */
    public List<UpBlockType> upBlockTypes() {
        return upBlockTypes;
    }

    /** {@code block_out_channels} (a copy), one per resolution level. */
    public int[] blockOutChannels() {
        return blockOutChannels.clone();
    }

    /** The number of resolution levels ({@code len(block_out_channels)}). */
    public int numLevels() {
        return blockOutChannels.length;
    }

    /** {@code block_out_channels[level]}. */
    public int blockOutChannels(int level) {
        return blockOutChannels[level];
    }

    /** {@code layers_per_block}: residual blocks per down block (up blocks have one more). */
    public int layersPerBlock() {
        return layersPerBlock;
    }

    /** {@code mid_block_scale_factor}: the mid block divides its residual sums by it. */
    public double midBlockScaleFactor() {
        return midBlockScaleFactor;
    }

    /** {@code downsample_padding}: 1 pads the stride-2 conv by 1; 0 pads right and bottom by 1 first. */
    public int downsamplePadding() {
        return downsamplePadding;
    }

    /** {@code dropout}: probability in the residual blocks, active only in training mode. */
    public double dropout() {
        return dropout;
    }

    /** {@code attention_head_dim}, or null: one head spanning all channels. */
    public Integer attentionHeadDim() {
        return attentionHeadDim;
    }

    /** {@code norm_num_groups}: groups of every GroupNorm. */
    public int normNumGroups() {
        return normNumGroups;
    }

    /** {@code attn_norm_num_groups}, or null: the mid block attention then uses {@code norm_num_groups}. */
    public Integer attnNormNumGroups() {
        return attnNormNumGroups;
    }

    /** {@code norm_eps}: epsilon of every GroupNorm. */
    public double normEps() {
        return normEps;
    }

    /** {@code add_attention}: whether the mid block has its self-attention. */
    public boolean addAttention() {
        return addAttention;
    }

    /** {@code num_class_embeds}, or null for an unconditional model. */
    public Integer numClassEmbeds() {
        return numClassEmbeds;
    }

    /** {@code num_train_timesteps} (kept for the file; unused by the positional embedding), or null. */
    public Integer numTrainTimesteps() {
        return numTrainTimesteps;
    }

    /** The width of the timestep embedding: {@code 4 * block_out_channels[0]}. */
    public int timeEmbedDim() {
        return 4 * blockOutChannels[0];
    }

    /** The attention head size used at a site with {@code channels} channels. */
    int headDim(int channels) {
        return attentionHeadDim == null ? channels : attentionHeadDim;
    }

    /** Groups of the mid block attention's GroupNorm. */
    int midAttentionGroups() {
        return attnNormNumGroups == null ? normNumGroups : attnNormNumGroups;
    }

    /** Input height and width must be multiples of this (one halving per downsampler). */
    public int sizeMultiple() {
        return 1 << (blockOutChannels.length - 1);
    }

    /**
     * The number of parameters of the network this configuration describes (the sum over
     * {@link UNet2DModel#parameterShapes}), computed without allocating any tensor.
     */
    public long parameterCount() {
        return UNet2DModel.parameterShapes(this).values().stream().mapToLong(s -> s.size()).sum();
    }

    /**
     * The largest parameter count a configuration may have: the system property
     * {@value #MAX_PARAMETERS_PROPERTY} when set, else {@link #DEFAULT_MAX_PARAMETERS}.
     *
     * @throws IllegalArgumentException when the property is not a positive whole number
     */
    public static long maxParameters() {
        return parseMaxParameters(System.getProperty(MAX_PARAMETERS_PROPERTY));
    }

    /** {@link #maxParameters()} for a given property value (null: unset). */
    static long parseMaxParameters(String value) {
        if (value == null) {
            return DEFAULT_MAX_PARAMETERS;
        }
        long v;
        try {
            v = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            v = -1;
        }
        if (v < 1) {
            throw new IllegalArgumentException("system property " + MAX_PARAMETERS_PROPERTY + " = \"" + value
                    + "\": must be a positive whole number of parameters, e.g. -D" + MAX_PARAMETERS_PROPERTY + "="
                    + 2 * DEFAULT_MAX_PARAMETERS + " (the default is " + DEFAULT_MAX_PARAMETERS + ", "
                    + gib(DEFAULT_MAX_PARAMETERS) + " of float32 weights)");
        }
        return v;
    }

    /** The size of {@code parameters} float32 weights, as "2.0 GiB". */
    static String gib(long parameters) {
        return String.format(java.util.Locale.ROOT, "%.1f GiB", parameters * 4.0 / (1L << 30));
    }

    /** A builder starting from this configuration. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.sampleSize = sampleSize;
        b.inChannels = inChannels;
        b.outChannels = outChannels;
        b.centerInputSample = centerInputSample;
        b.freqShift = freqShift;
        b.flipSinToCos = flipSinToCos;
        b.downBlockTypes = new ArrayList<>(downBlockTypes);
        b.upBlockTypes = new ArrayList<>(upBlockTypes);
        b.blockOutChannels = blockOutChannels.clone();
        b.layersPerBlock = layersPerBlock;
        b.midBlockScaleFactor = midBlockScaleFactor;
        b.downsamplePadding = downsamplePadding;
        b.dropout = dropout;
        b.attentionHeadDim = attentionHeadDim;
        b.normNumGroups = normNumGroups;
        b.attnNormNumGroups = attnNormNumGroups;
        b.normEps = normEps;
        b.addAttention = addAttention;
        b.numClassEmbeds = numClassEmbeds;
        b.numTrainTimesteps = numTrainTimesteps;
        return b;
    }

    /** A builder with diffusers' defaults; sample size, channels per level and block types must be set. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * A small unconditional model for debugging and tests (nanoGPT's "tiny config"): 1 channel,
     * 28×28, levels of 32/64/64 channels, attention at 7×7 and in the mid block, 8 groups.
     */
    public static UNet2DConfig tiny() {
        return builder().setSampleSize(28).setInChannels(1).setOutChannels(1)
                .setBlockOutChannels(32, 64, 64)
                .setDownBlockTypes(DownBlockType.DOWN_BLOCK_2D, DownBlockType.DOWN_BLOCK_2D, DownBlockType.ATTN_DOWN_BLOCK_2D)
                .setUpBlockTypes(UpBlockType.ATTN_UP_BLOCK_2D, UpBlockType.UP_BLOCK_2D, UpBlockType.UP_BLOCK_2D)
                .optLayersPerBlock(1).optNormNumGroups(8).optAttentionHeadDim(null)
                .build();
    }

    // ---------------------------------------------------------------- JSON

    /** Reads and validates a {@code config.json}. */
    public static UNet2DConfig load(Path configJson) throws IOException {
        String text;
        try {
            text = Files.readString(configJson, StandardCharsets.UTF_8);
        } catch (java.nio.charset.CharacterCodingException e) {
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
        JsonObject o;
        try {
            JsonElement e = JsonParser.parseString(json);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException(source + ": expected a JSON object, got " + kind(e));
            }
            o = e.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new IllegalArgumentException(source + ": not valid JSON (" + abbreviate(String.valueOf(e.getMessage())) + ")", e);
        }
        Fields f = new Fields(o, source);
        String cls = f.string("_class_name", "UNet2DModel", true);
        if (cls != null && !cls.equals("UNet2DModel")) {
            throw new IllegalArgumentException(source + ": field \"_class_name\" is \"" + cls
                    + "\", but this loader reads only \"UNet2DModel\" configs");
        }
        // Architecture variants diffusers offers but this implementation does not compute.
        f.requireChoice("time_embedding_type", "positional", false, "positional");
        f.requireChoice("act_fn", "silu", false, "silu");
        f.requireChoice("resnet_time_scale_shift", "default", false, "default");
        f.requireChoice("downsample_type", "conv", false, "conv");
        f.requireChoice("upsample_type", "conv", false, "conv");
        f.requireChoice("mid_block_type", "UNetMidBlock2D", false, "UNetMidBlock2D");
        f.requireChoice("class_embed_type", null, true, "null");
        if (o.has("attention_legacy_order") && !o.get("attention_legacy_order").isJsonNull()
                && f.bool("attention_legacy_order", false)) {
            throw new IllegalArgumentException(source + ": field \"attention_legacy_order\" = true is not supported; "
                    + "supported: false");
        }

        Builder b = new Builder();
        b.source = source;
        b.sampleSize = f.sampleSize();
        b.inChannels = f.integer("in_channels", b.inChannels);
        b.outChannels = f.integer("out_channels", b.outChannels);
        b.centerInputSample = f.bool("center_input_sample", b.centerInputSample);
        b.freqShift = f.number("freq_shift", b.freqShift);
        b.flipSinToCos = f.bool("flip_sin_to_cos", b.flipSinToCos);
        b.blockOutChannels = f.intList("block_out_channels");
        b.downBlockTypes = new ArrayList<>();
        for (String s : f.stringList("down_block_types")) {
            b.downBlockTypes.add(downType(s, source));
        }
        b.upBlockTypes = new ArrayList<>();
        for (String s : f.stringList("up_block_types")) {
            b.upBlockTypes.add(upType(s, source));
        }
        b.layersPerBlock = f.integer("layers_per_block", b.layersPerBlock);
        b.midBlockScaleFactor = f.number("mid_block_scale_factor", b.midBlockScaleFactor);
        b.downsamplePadding = f.integer("downsample_padding", b.downsamplePadding);
        b.dropout = f.number("dropout", b.dropout);
        b.attentionHeadDim = f.nullableInteger("attention_head_dim", 8);
        b.normNumGroups = f.integer("norm_num_groups", b.normNumGroups);
        b.attnNormNumGroups = f.nullableInteger("attn_norm_num_groups", null);
        b.normEps = f.number("norm_eps", b.normEps);
        b.addAttention = f.bool("add_attention", b.addAttention);
        b.numClassEmbeds = f.nullableInteger("num_class_embeds", null);
        b.numTrainTimesteps = f.nullableInteger("num_train_timesteps", null);
        return b.build();
    }

    /** The {@code config.json} text diffusers' {@code save_config} would write: every field, keys sorted. */
    public String toJson() {
        Map<String, JsonElement> m = new TreeMap<>();
        m.put("_class_name", new JsonPrimitive("UNet2DModel"));
        m.put("_diffusers_version", new JsonPrimitive(DIFFUSERS_VERSION));
        m.put("act_fn", new JsonPrimitive("silu"));
        m.put("add_attention", new JsonPrimitive(addAttention));
        m.put("attention_head_dim", attentionHeadDim == null ? JsonNull.INSTANCE : new JsonPrimitive(attentionHeadDim));
        m.put("attn_norm_num_groups", attnNormNumGroups == null ? JsonNull.INSTANCE : new JsonPrimitive(attnNormNumGroups));
        JsonArray channels = new JsonArray();
        for (int c : blockOutChannels) {
            channels.add(c);
        }
        m.put("block_out_channels", channels);
        m.put("center_input_sample", new JsonPrimitive(centerInputSample));
        m.put("class_embed_type", JsonNull.INSTANCE);
        JsonArray down = new JsonArray();
        downBlockTypes.forEach(t -> down.add(t.configName()));
        m.put("down_block_types", down);
        m.put("downsample_padding", new JsonPrimitive(downsamplePadding));
        m.put("downsample_type", new JsonPrimitive("conv"));
        m.put("dropout", new JsonPrimitive(dropout));
        m.put("flip_sin_to_cos", new JsonPrimitive(flipSinToCos));
        m.put("freq_shift", number(freqShift));
        m.put("in_channels", new JsonPrimitive(inChannels));
        m.put("layers_per_block", new JsonPrimitive(layersPerBlock));
        m.put("mid_block_scale_factor", number(midBlockScaleFactor));
        m.put("norm_eps", new JsonPrimitive(normEps));
        m.put("norm_num_groups", new JsonPrimitive(normNumGroups));
        m.put("num_class_embeds", numClassEmbeds == null ? JsonNull.INSTANCE : new JsonPrimitive(numClassEmbeds));
        m.put("num_train_timesteps", numTrainTimesteps == null ? JsonNull.INSTANCE : new JsonPrimitive(numTrainTimesteps));
        m.put("out_channels", new JsonPrimitive(outChannels));
        m.put("resnet_time_scale_shift", new JsonPrimitive("default"));
        m.put("sample_size", new JsonPrimitive(sampleSize));
        m.put("time_embedding_type", new JsonPrimitive("positional"));
        JsonArray up = new JsonArray();
        upBlockTypes.forEach(t -> up.add(t.configName()));
        m.put("up_block_types", up);
        m.put("upsample_type", new JsonPrimitive("conv"));
        JsonObject o = new JsonObject();
        m.forEach(o::add);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n";
    }

    /** Writes {@link #toJson()} to {@code configJson} atomically (temporary file, fsync, rename). */
    public void save(Path configJson) throws IOException {
        AtomicFiles.writeString(configJson, toJson());
    }

    private static JsonPrimitive number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? new JsonPrimitive((long) v) : new JsonPrimitive(v);
    }

    private static DownBlockType downType(String s, String source) {
        for (DownBlockType t : DownBlockType.values()) {
            if (t.configName.equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException(source + ": field \"down_block_types\" contains \"" + s
                + "\", which is not supported; supported: [\"DownBlock2D\", \"AttnDownBlock2D\"]");
    }

    private static UpBlockType upType(String s, String source) {
        for (UpBlockType t : UpBlockType.values()) {
            if (t.configName.equals(s)) {
                return t;
            }
        }
        throw new IllegalArgumentException(source + ": field \"up_block_types\" contains \"" + s
                + "\", which is not supported; supported: [\"UpBlock2D\", \"AttnUpBlock2D\"]");
    }

    private static String kind(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "null";
        }
        return e.isJsonObject() ? "an object" : e.isJsonArray() ? "a list" : e.toString();
    }

    /** Typed access to the fields of a config object, each failure naming the source and field. */
    private static final class Fields {
        private final JsonObject o;
        private final String source;

        Fields(JsonObject o, String source) {
            this.o = o;
            this.source = source;
        }

        private IllegalArgumentException bad(String field, String want) {
            return new IllegalArgumentException(source + ": field \"" + field + "\" must be " + want + ", got "
                    + kind(o.get(field)));
        }

        private JsonElement present(String field) {
            JsonElement e = o.get(field);
            return e == null || e.isJsonNull() ? null : e;
        }

        JsonElement required(String field, String want) {
            JsonElement e = present(field);
            if (e == null) {
                throw new IllegalArgumentException(source + ": required field \"" + field + "\" is "
                        + (o.has(field) ? "null" : "missing") + "; it must be " + want);
            }
            return e;
        }

        int sampleSize() {
            JsonElement e = required("sample_size", "a positive integer (image height = width)");
            if (e.isJsonArray()) {
                JsonArray a = e.getAsJsonArray();
                if (a.size() == 2 && isInt(a.get(0)) && isInt(a.get(1)) && a.get(0).getAsInt() == a.get(1).getAsInt()) {
                    return a.get(0).getAsInt();
                }
                throw new IllegalArgumentException(source + ": field \"sample_size\" = " + e
                        + " is not supported; only square samples: a single integer");
            }
            if (!isInt(e)) {
                throw bad("sample_size", "a positive integer");
            }
            return e.getAsInt();
        }

        int integer(String field, int def) {
            JsonElement e = present(field);
            if (e == null) {
                if (o.has(field)) {
                    throw bad(field, "an integer");
                }
                return def;
            }
            if (!isInt(e)) {
                throw bad(field, "an integer");
            }
            return e.getAsInt();
        }

        Integer nullableInteger(String field, Integer def) {
            if (!o.has(field)) {
                return def;
            }
            JsonElement e = o.get(field);
            if (e.isJsonNull()) {
                return null;
            }
            if (!isInt(e)) {
                throw bad(field, "an integer or null");
            }
            return e.getAsInt();
        }

        double number(String field, double def) {
            JsonElement e = present(field);
            if (e == null) {
                if (o.has(field)) {
                    throw bad(field, "a number");
                }
                return def;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw bad(field, "a number");
            }
            return e.getAsDouble();
        }

        boolean bool(String field, boolean def) {
            JsonElement e = present(field);
            if (e == null) {
                if (o.has(field)) {
                    throw bad(field, "true or false");
                }
                return def;
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isBoolean()) {
                throw bad(field, "true or false");
            }
            return e.getAsBoolean();
        }

        String string(String field, String def, boolean nullable) {
            if (!o.has(field)) {
                return def;
            }
            JsonElement e = o.get(field);
            if (e.isJsonNull()) {
                if (nullable) {
                    return null;
                }
                throw bad(field, "a string");
            }
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw bad(field, nullable ? "a string or null" : "a string");
            }
            return e.getAsString();
        }

        void requireChoice(String field, String def, boolean nullable, String supported) {
            String v = string(field, def, nullable);
            if (v == null ? def != null : !v.equals(def)) {
                throw new IllegalArgumentException(source + ": field \"" + field + "\" = "
                        + (v == null ? "null" : "\"" + v + "\"") + " is not supported; supported: " + supported);
            }
        }

        int[] intList(String field) {
            JsonElement e = required(field, "a list of positive integers");
            if (!e.isJsonArray()) {
                throw bad(field, "a list of positive integers");
            }
            JsonArray a = e.getAsJsonArray();
            int[] out = new int[a.size()];
            for (int i = 0; i < out.length; i++) {
                if (!isInt(a.get(i))) {
                    throw new IllegalArgumentException(source + ": field \"" + field + "\"[" + i
                            + "] must be an integer, got " + kind(a.get(i)));
                }
                out[i] = a.get(i).getAsInt();
            }
            return out;
        }

        List<String> stringList(String field) {
            JsonElement e = required(field, "a list of block type names");
            if (!e.isJsonArray()) {
                throw bad(field, "a list of block type names");
            }
            List<String> out = new ArrayList<>();
            for (JsonElement x : e.getAsJsonArray()) {
                if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isString()) {
                    throw new IllegalArgumentException(source + ": field \"" + field
                            + "\" must list block type names (strings), got " + kind(x));
                }
                out.add(x.getAsString());
            }
            return out;
        }

        /**
         * Whether a JSON value is an int, judged from its text: converting first would let an
         * exponent like {@code 1e-999999999} reach Gson's BigDecimal path, which throws.
         */
        private static boolean isInt(JsonElement e) {
            if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                return false;
            }
            String text = e.getAsString();
            if (!text.matches("-?[0-9]{1,10}(\\.0+)?")) {
                return false; // an exponent or a fraction: not an integer literal
            }
            long v = Long.parseLong(text.replaceAll("\\.0+$", ""));
            return Math.abs(v) <= Integer.MAX_VALUE;
        }
    }

    /** Cuts a parser's message (which may echo a long JSON path) to a readable length. */
    private static String abbreviate(String message) {
        return message.length() <= 300 ? message : message.substring(0, 300) + "…";
    }

    // ---------------------------------------------------------------- builder

    /**
     * Builds a validated {@link UNet2DConfig}. Starts from diffusers' defaults; {@code set*} for the
     * fields without a usable default, {@code opt*} for the rest; {@link #build()} checks everything.
     */
    public static final class Builder {
        private String source = "UNet2DConfig";
        private int sampleSize;
        private int inChannels = 3;
        private int outChannels = 3;
        private boolean centerInputSample;
        private double freqShift;
        private boolean flipSinToCos = true;
        private List<DownBlockType> downBlockTypes = new ArrayList<>();
        private List<UpBlockType> upBlockTypes = new ArrayList<>();
        private int[] blockOutChannels = new int[0];
        private int layersPerBlock = 2;
        private double midBlockScaleFactor = 1;
        private int downsamplePadding = 1;
        private double dropout;
        private Integer attentionHeadDim = 8;
        private int normNumGroups = 32;
        private Integer attnNormNumGroups;
        private double normEps = 1e-5;
        private boolean addAttention = true;
        private Integer numClassEmbeds;
        private Integer numTrainTimesteps;

        private Builder() {}

        public Builder setSampleSize(int sampleSize) {
            this.sampleSize = sampleSize;
            return this;
        }

        public Builder setInChannels(int inChannels) {
            this.inChannels = inChannels;
            return this;
        }

        public Builder setOutChannels(int outChannels) {
            this.outChannels = outChannels;
            return this;
        }

        public Builder setBlockOutChannels(int... blockOutChannels) {
            this.blockOutChannels = blockOutChannels.clone();
            return this;
        }

        public Builder setDownBlockTypes(DownBlockType... types) {
            this.downBlockTypes = new ArrayList<>(Arrays.asList(types));
            return this;
        }

        public Builder setUpBlockTypes(UpBlockType... types) {
            this.upBlockTypes = new ArrayList<>(Arrays.asList(types));
            return this;
        }

        public Builder optCenterInputSample(boolean centerInputSample) {
            this.centerInputSample = centerInputSample;
            return this;
        }

        public Builder optFreqShift(double freqShift) {
            this.freqShift = freqShift;
            return this;
        }

        public Builder optFlipSinToCos(boolean flipSinToCos) {
            this.flipSinToCos = flipSinToCos;
            return this;
        }

        public Builder optLayersPerBlock(int layersPerBlock) {
            this.layersPerBlock = layersPerBlock;
            return this;
        }

        public Builder optMidBlockScaleFactor(double midBlockScaleFactor) {
            this.midBlockScaleFactor = midBlockScaleFactor;
            return this;
        }

        public Builder optDownsamplePadding(int downsamplePadding) {
            this.downsamplePadding = downsamplePadding;
            return this;
        }

        public Builder optDropout(double dropout) {
            this.dropout = dropout;
            return this;
        }

        /** Null means one head per attention site, as wide as its channel count. */
        public Builder optAttentionHeadDim(Integer attentionHeadDim) {
            this.attentionHeadDim = attentionHeadDim;
            return this;
        }

        public Builder optNormNumGroups(int normNumGroups) {
            this.normNumGroups = normNumGroups;
            return this;
        }

        public Builder optAttnNormNumGroups(Integer attnNormNumGroups) {
            this.attnNormNumGroups = attnNormNumGroups;
            return this;
        }

        public Builder optNormEps(double normEps) {
            this.normEps = normEps;
            return this;
        }

        public Builder optAddAttention(boolean addAttention) {
            this.addAttention = addAttention;
            return this;
        }

        /** A class-conditional model with this many classes (null: unconditional). */
        public Builder optNumClassEmbeds(Integer numClassEmbeds) {
            this.numClassEmbeds = numClassEmbeds;
            return this;
        }

        public Builder optNumTrainTimesteps(Integer numTrainTimesteps) {
            this.numTrainTimesteps = numTrainTimesteps;
            return this;
        }

        /**
         * Validates and builds; the message of a refusal names the field, the value and the fix. A
         * configuration with more than {@link #maxParameters()} parameters is refused here, before any
         * weight is allocated.
         */
        public UNet2DConfig build() {
            return build(maxParameters());
        }

        /** {@link #build()} with an explicit parameter cap. */
        UNet2DConfig build(long maxParameters) {
            validate();
            UNet2DConfig c = new UNet2DConfig(this);
            long n = c.parameterCount();
            if (n > maxParameters) {
                throw new IllegalArgumentException(source + ": this configuration has " + n + " parameters, more than the "
                        + "limit of " + maxParameters + " (" + gib(n) + " of float32 weights, the limit is " + gib(maxParameters)
                        + "); " + sizeDrivers(c) + ". Lower them, or if the machine has the memory raise the limit with -D"
                        + MAX_PARAMETERS_PROPERTY + "=" + n);
            }
            return c;
        }

        /** The fields the parameter count grows with, and their values. */
        private static String sizeDrivers(UNet2DConfig c) {
            String drivers = "the count grows with the square of block_out_channels " + Arrays.toString(c.blockOutChannels)
                    + " and linearly with layers_per_block " + c.layersPerBlock;
            if (c.numClassEmbeds != null) {
                long table = (long) c.numClassEmbeds * c.timeEmbedDim();
                drivers += " and num_class_embeds " + c.numClassEmbeds + " (class_embedding alone: " + c.numClassEmbeds
                        + " × 4·block_out_channels[0] = " + table + " parameters)";
            }
            return drivers;
        }

        private IllegalArgumentException bad(String field, Object value, String rule) {
            return new IllegalArgumentException(source + ": field \"" + field + "\" = " + value + ": " + rule);
        }

        private void validate() {
            if (sampleSize < 1 || sampleSize > MAX_SAMPLE_SIZE) {
                throw bad("sample_size", sampleSize, "must be in [1, " + MAX_SAMPLE_SIZE + "]");
            }
            if (inChannels < 1 || inChannels > MAX_CHANNELS) {
                throw bad("in_channels", inChannels, "must be in [1, " + MAX_CHANNELS + "]");
            }
            if (outChannels < 1 || outChannels > MAX_CHANNELS) {
                throw bad("out_channels", outChannels, "must be in [1, " + MAX_CHANNELS + "]");
            }
            int levels = blockOutChannels.length;
            if (levels < 1 || levels > MAX_LEVELS) {
                throw bad("block_out_channels", Arrays.toString(blockOutChannels), "must list 1 to " + MAX_LEVELS
                        + " channel counts, one per resolution level");
            }
            if (downBlockTypes.size() != levels) {
                throw bad("down_block_types", names(downBlockTypes), "must have one entry per entry of block_out_channels "
                        + Arrays.toString(blockOutChannels) + " (" + levels + "), got " + downBlockTypes.size());
            }
            if (upBlockTypes.size() != levels) {
                throw bad("up_block_types", names(upBlockTypes), "must have one entry per entry of block_out_channels "
                        + Arrays.toString(blockOutChannels) + " (" + levels + "), got " + upBlockTypes.size());
            }
            if (downBlockTypes.contains(null) || upBlockTypes.contains(null)) {
                throw new IllegalArgumentException(source + ": block type lists must not contain null");
            }
            if (normNumGroups < 1) {
                throw bad("norm_num_groups", normNumGroups, "must be a positive integer");
            }
            for (int i = 0; i < levels; i++) {
                int c = blockOutChannels[i];
                if (c < 1 || c > MAX_CHANNELS) {
                    throw bad("block_out_channels", Arrays.toString(blockOutChannels), "entry " + i + " = " + c
                            + " must be in [1, " + MAX_CHANNELS + "]");
                }
                if (c % normNumGroups != 0) {
                    throw bad("norm_num_groups", normNumGroups, "must divide every entry of block_out_channels "
                            + Arrays.toString(blockOutChannels) + ", but not " + c
                            + "; choose a norm_num_groups that divides all of them (e.g. a common divisor like 8 or 32)");
                }
            }
            if (sampleSize % (1 << (levels - 1)) != 0) {
                throw bad("sample_size", sampleSize, "must be a multiple of 2^(len(block_out_channels) - 1) = "
                        + (1 << (levels - 1)) + " (each level but the last halves the resolution)");
            }
            if (layersPerBlock < 1 || layersPerBlock > MAX_LAYERS_PER_BLOCK) {
                throw bad("layers_per_block", layersPerBlock, "must be in [1, " + MAX_LAYERS_PER_BLOCK + "]");
            }
            if (downsamplePadding != 0 && downsamplePadding != 1) {
                throw bad("downsample_padding", downsamplePadding, "supported: 0 (pad right/bottom by 1, as the original "
                        + "DDPM) or 1");
            }
            if (!(dropout >= 0 && dropout < 1)) {
                throw bad("dropout", dropout, "must be in [0, 1)");
            }
            if (!(normEps > 0 && normEps < 1)) {
                throw bad("norm_eps", normEps, "must be in (0, 1)");
            }
            if (!(midBlockScaleFactor > 0) || Double.isInfinite(midBlockScaleFactor)) {
                throw bad("mid_block_scale_factor", midBlockScaleFactor, "must be a positive finite number");
            }
            int half = blockOutChannels[0] / 2;
            if (!Double.isFinite(freqShift) || half - freqShift == 0 || half == 0) {
                throw bad("freq_shift", freqShift, "must be finite and differ from block_out_channels[0] / 2 = " + half
                        + ", and block_out_channels[0] must be at least 2");
            }
            if (attentionHeadDim != null && attentionHeadDim < 1) {
                throw bad("attention_head_dim", attentionHeadDim, "must be a positive integer or null (one head)");
            }
            if (attnNormNumGroups != null) {
                int c = blockOutChannels[levels - 1];
                if (attnNormNumGroups < 1 || c % attnNormNumGroups != 0) {
                    throw bad("attn_norm_num_groups", attnNormNumGroups, "must be null or a positive divisor of "
                            + "block_out_channels[-1] = " + c);
                }
            }
            for (int i = 0; i < levels; i++) {
                if (downBlockTypes.get(i).hasAttention()) {
                    checkHeads("down_block_types[" + i + "]", blockOutChannels[i]);
                }
                if (upBlockTypes.get(i).hasAttention()) {
                    checkHeads("up_block_types[" + i + "]", blockOutChannels[levels - 1 - i]);
                }
            }
            if (addAttention) {
                checkHeads("the mid block", blockOutChannels[levels - 1]);
            }
            if (numClassEmbeds != null && (numClassEmbeds < 1 || numClassEmbeds > MAX_CLASS_EMBEDS)) {
                throw bad("num_class_embeds", numClassEmbeds, "must be null (unconditional) or in [1, " + MAX_CLASS_EMBEDS + "]");
            }
            if (numTrainTimesteps != null && numTrainTimesteps < 1) {
                throw bad("num_train_timesteps", numTrainTimesteps, "must be null or positive");
            }
        }

        private void checkHeads(String where, int channels) {
            if (attentionHeadDim != null && attentionHeadDim > channels) {
                throw bad("attention_head_dim", attentionHeadDim, "is larger than the " + channels
                        + " channels of the attention in " + where + ", which would leave it 0 heads; use at most "
                        + channels + " or null (one head)");
            }
        }

        private static String names(List<?> types) {
            List<String> out = new ArrayList<>();
            for (Object t : types) {
                out.add(t instanceof DownBlockType d ? d.configName() : t instanceof UpBlockType u ? u.configName() : "null");
            }
            return out.toString();
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof UNet2DConfig c && toJson().equals(c.toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return toJson();
    }
}
