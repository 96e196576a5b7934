package org.diffusion4j.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The architecture of a {@link UNet2DModel}: the fields of diffusers' {@code UNet2DModel}
 * {@code config.json} (diffusers 0.31), with their defaults, restricted to the variants this
 * implementation computes (positional time embedding, SiLU, {@code DownBlock2D}/{@code
 * AttnDownBlock2D}/{@code UpBlock2D}/{@code AttnUpBlock2D}, conv down/up sampling, mid block with
 * optional attention, optional class embedding table).
 *
 * <p>Immutable and fully validated: every instance describes a network that can be built. Build one
 * with {@link #builder()}, or read one from a {@code config.json} with {@code diffusers.UNet2DConfigJson};
 * errors name the source ({@code config.json} path), the field, the value and what is accepted.
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

        /** What to call this config in error messages (a file path; default {@code UNet2DConfig}). */
        public Builder optSource(String source) {
            this.source = source;
            return this;
        }

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

    /** Every field, in a fixed order: what equality, hashing and {@link #toString()} compare. */
    private List<Object> values() {
        return Arrays.asList(sampleSize, inChannels, outChannels, centerInputSample, freqShift, flipSinToCos, downBlockTypes,
                upBlockTypes, Arrays.toString(blockOutChannels), layersPerBlock, midBlockScaleFactor, downsamplePadding, dropout,
                attentionHeadDim, normNumGroups, attnNormNumGroups, normEps, addAttention, numClassEmbeds, numTrainTimesteps);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof UNet2DConfig c && values().equals(c.values());
    }

    @Override
    public int hashCode() {
        return values().hashCode();
    }

    @Override
    public String toString() {
        return "UNet2DConfig[sample_size=" + sampleSize + ", in_channels=" + inChannels + ", out_channels=" + outChannels
                + ", block_out_channels=" + Arrays.toString(blockOutChannels) + ", down_block_types=" + downBlockTypes
                + ", up_block_types=" + upBlockTypes + ", layers_per_block=" + layersPerBlock + ", norm_num_groups="
                + normNumGroups + ", attention_head_dim=" + attentionHeadDim + ", num_class_embeds=" + numClassEmbeds
                + ", dropout=" + dropout + "]";
    }
}
