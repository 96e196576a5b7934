package org.diffusion4j.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusers.UNet2DConfigJson;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.nn.UNet2DConfig;
import org.diffusion4j.schedule.BetaSchedule;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * Everything that defines a training run, read from and written to JSON (snake_case keys). The
 * {@code model} object is a diffusers {@code UNet2DModel} {@code config.json}; the other keys and
 * their defaults:
 *
 * <table>
 * <caption>training keys</caption>
 * <tr><td>dataset</td><td>"fashion-mnist"</td><td>a named data set or an image folder</td></tr>
 * <tr><td>random_flip</td><td>true</td><td>left-right flips with p = 0.5 (Ho et al. 2020 on CIFAR-10)</td></tr>
 * <tr><td>batch_size</td><td>128</td><td></td></tr>
 * <tr><td>learning_rate</td><td>2e-4</td><td>Ho et al. 2020 (CIFAR-10)</td></tr>
 * <tr><td>lr_warmup_steps</td><td>500</td><td>linear warm-up η·min(1, (s+1)/W)</td></tr>
 * <tr><td>adam_beta1, adam_beta2, adam_epsilon</td><td>0.9, 0.999, 1e-8</td><td></td></tr>
 * <tr><td>adam_weight_decay</td><td>0</td><td>Ho et al. used Adam without weight decay, as does the
 *     PyTorch peer; diffusers' example uses 1e-6, which changes little</td></tr>
 * <tr><td>max_grad_norm</td><td>1.0</td><td>global-norm clipping</td></tr>
 * <tr><td>ema_decay, ema_warmup</td><td>0.9999, true</td><td>see {@link Ema}</td></tr>
 * <tr><td>prediction_type</td><td>"epsilon"</td><td>epsilon | sample | v_prediction</td></tr>
 * <tr><td>loss_weighting, snr_gamma</td><td>"none", 5</td><td>none | min_snr (Hang et al. 2023)</td></tr>
 * <tr><td>p_uncond</td><td>0.1</td><td>class-conditional models: probability that a label is replaced by the null
 *     class (id {@code num_class_embeds − 1}), so one network is conditional and unconditional (Ho &amp; Salimans
 *     2022); needs {@code num_class_embeds} = classes + 1. 0 trains a purely conditional model</td></tr>
 * <tr><td>beta_schedule, beta_start, beta_end, num_train_timesteps</td><td>"linear", 1e-4, 0.02,
 *     1000</td><td>diffusers names</td></tr>
 * <tr><td>seed</td><td>0</td><td>data order, t, ε, dropout and initialisation</td></tr>
 * <tr><td>checkpoint_every, keep_last, log_every</td><td>1000, 3, 50</td><td>steps</td></tr>
 * <tr><td>max_consecutive_bad_steps</td><td>10</td><td>stop after this many non-finite steps in a row</td></tr>
 * </table>
 *
 * Dropout is the model's own {@code dropout} field. Unknown keys are refused (they are typos). The
 * model object is validated by {@link UNet2DConfig#parse} (known block types, channels divisible by
 * the groups, …) when the config is built, so a bad config fails before anything is written.
 */
public final class TrainConfig {

    /** The names of the shipped presets ({@code presets/<name>.json} next to this class). */
    public static final List<String> PRESETS = List.of("tiny", "fashion-mnist", "fashion-mnist-cond");

    /** How the per-sample loss is weighted. */
    public enum LossWeighting {
        /** L_simple (Eq. 14 of Ho et al. 2020): every t weighted 1 for the chosen target. */
        NONE("none"),
        /** Min-SNR-γ (Hang et al. 2023): weights min(SNR, γ)/SNR for ε, min(SNR, γ) for x₀, min(SNR, γ)/(SNR+1) for v. */
        MIN_SNR("min_snr");

        private final String jsonName;

        LossWeighting(String jsonName) {
            this.jsonName = jsonName;
        }

        public String jsonName() {
            return jsonName;
        }

        static LossWeighting parse(String s, String source) {
            for (LossWeighting w : values()) {
                if (w.jsonName.equals(s.toLowerCase(Locale.ROOT))) {
                    return w;
                }
            }
            throw new IllegalArgumentException(source + ": field \"loss_weighting\" = \"" + s + "\": use none or min_snr");
        }
    }

    private static final Set<String> KEYS = Set.of("model", "dataset", "random_flip", "batch_size", "learning_rate",
            "lr_warmup_steps", "adam_beta1", "adam_beta2", "adam_epsilon", "adam_weight_decay", "max_grad_norm",
            "ema_decay", "ema_warmup", "prediction_type", "loss_weighting", "snr_gamma", "p_uncond", "beta_schedule", "beta_start",
            "beta_end", "num_train_timesteps", "seed", "checkpoint_every", "keep_last", "log_every",
            "max_consecutive_bad_steps");

    private final JsonObject model;
    private final UNet2DConfig unetConfig;
    private final String dataset;
    private final boolean randomFlip;
    private final int batchSize;
    private final double learningRate;
    private final int lrWarmupSteps;
    private final double adamBeta1;
    private final double adamBeta2;
    private final double adamEpsilon;
    private final double adamWeightDecay;
    private final double maxGradNorm;
    private final double emaDecay;
    private final boolean emaWarmup;
    private final PredictionType predictionType;
    private final LossWeighting lossWeighting;
    private final double snrGamma;
    private final double pUncond;
    private final BetaSchedule betaSchedule;
    private final double betaStart;
    private final double betaEnd;
    private final int numTrainTimesteps;
    private final long seed;
    private final int checkpointEvery;
    private final int keepLast;
    private final int logEvery;
    private final int maxConsecutiveBadSteps;

    private TrainConfig(Builder b) {
        model = b.model.deepCopy();
        unetConfig = b.unetConfig;
        dataset = b.dataset;
        randomFlip = b.randomFlip;
        batchSize = b.batchSize;
        learningRate = b.learningRate;
        lrWarmupSteps = b.lrWarmupSteps;
        adamBeta1 = b.adamBeta1;
        adamBeta2 = b.adamBeta2;
        adamEpsilon = b.adamEpsilon;
        adamWeightDecay = b.adamWeightDecay;
        maxGradNorm = b.maxGradNorm;
        emaDecay = b.emaDecay;
        emaWarmup = b.emaWarmup;
        predictionType = b.predictionType;
        lossWeighting = b.lossWeighting;
        snrGamma = b.snrGamma;
        pUncond = b.pUncond;
        betaSchedule = b.betaSchedule;
        betaStart = b.betaStart;
        betaEnd = b.betaEnd;
        numTrainTimesteps = b.numTrainTimesteps;
        seed = b.seed;
        checkpointEvery = b.checkpointEvery;
        keepLast = b.keepLast;
        logEvery = b.logEvery;
        maxConsecutiveBadSteps = b.maxConsecutiveBadSteps;
    }

    // ------------------------------------------------------------------ reading

    /** A shipped preset by name ({@link #PRESETS}). */
    public static TrainConfig preset(String name) {
        String resource = "presets/" + name + ".json";
        try (InputStream in = TrainConfig.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("unknown training preset \"" + name + "\"; presets: " + PRESETS
                        + ", or give the path of a JSON file");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "preset " + name);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the preset " + resource, e);
        }
    }

    /** A preset name, or the path of a JSON file. */
    public static TrainConfig resolve(String presetOrPath) throws IOException {
        if (PRESETS.contains(presetOrPath)) {
            return preset(presetOrPath);
        }
        Path p = Path.of(presetOrPath);
        if (!Files.exists(p) && !presetOrPath.endsWith(".json")) {
            throw new IllegalArgumentException("\"" + presetOrPath + "\" is neither a preset " + PRESETS
                    + " nor an existing JSON file");
        }
        return load(p);
    }

    /** Reads a JSON file. */
    public static TrainConfig load(Path file) throws IOException {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file + ": training config not found");
        }
    }

    /**
     * Parses JSON text.
     *
     * @param source the name used in error messages (a file path)
     * @throws IllegalArgumentException naming the source, the field and the fix
     */
    public static TrainConfig parse(String json, String source) {
        JsonFields f = JsonFields.parse(json, source);
        f.requireOnly(KEYS);
        Builder b = builder();
        b.source = source;
        if (!f.has("model") || !f.json().get("model").isJsonObject()) {
            throw new IllegalArgumentException(source + ": field \"model\" is missing or not an object; it holds a "
                    + "diffusers UNet2DModel config (block_out_channels, down_block_types, ...)");
        }
        b.model = f.json().getAsJsonObject("model");
        b.dataset = f.string("dataset", b.dataset);
        b.randomFlip = f.bool("random_flip", b.randomFlip);
        b.batchSize = f.integer("batch_size", b.batchSize);
        b.learningRate = f.number("learning_rate", b.learningRate);
        b.lrWarmupSteps = f.integer("lr_warmup_steps", b.lrWarmupSteps);
        b.adamBeta1 = f.number("adam_beta1", b.adamBeta1);
        b.adamBeta2 = f.number("adam_beta2", b.adamBeta2);
        b.adamEpsilon = f.number("adam_epsilon", b.adamEpsilon);
        b.adamWeightDecay = f.number("adam_weight_decay", b.adamWeightDecay);
        b.maxGradNorm = f.number("max_grad_norm", b.maxGradNorm);
        b.emaDecay = f.number("ema_decay", b.emaDecay);
        b.emaWarmup = f.bool("ema_warmup", b.emaWarmup);
        b.predictionType = f.named("prediction_type", b.predictionType, PredictionType::parse);
        b.lossWeighting = LossWeighting.parse(f.string("loss_weighting", b.lossWeighting.jsonName()), source);
        b.snrGamma = f.number("snr_gamma", b.snrGamma);
        b.pUncond = f.number("p_uncond", b.pUncond);
        b.betaSchedule = f.named("beta_schedule", b.betaSchedule, BetaSchedule::parse);
        b.betaStart = f.number("beta_start", b.betaStart);
        b.betaEnd = f.number("beta_end", b.betaEnd);
        b.numTrainTimesteps = f.integer("num_train_timesteps", b.numTrainTimesteps);
        b.seed = f.longValue("seed", b.seed);
        b.checkpointEvery = f.integer("checkpoint_every", b.checkpointEvery);
        b.keepLast = f.integer("keep_last", b.keepLast);
        b.logEvery = f.integer("log_every", b.logEvery);
        b.maxConsecutiveBadSteps = f.integer("max_consecutive_bad_steps", b.maxConsecutiveBadSteps);
        return b.build();
    }

    /** Every field, pretty-printed (the form stored in checkpoints). */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.add("model", model.deepCopy());
        o.addProperty("dataset", dataset);
        o.addProperty("random_flip", randomFlip);
        o.addProperty("batch_size", batchSize);
        o.addProperty("learning_rate", learningRate);
        o.addProperty("lr_warmup_steps", lrWarmupSteps);
        o.addProperty("adam_beta1", adamBeta1);
        o.addProperty("adam_beta2", adamBeta2);
        o.addProperty("adam_epsilon", adamEpsilon);
        o.addProperty("adam_weight_decay", adamWeightDecay);
        o.addProperty("max_grad_norm", maxGradNorm);
        o.addProperty("ema_decay", emaDecay);
        o.addProperty("ema_warmup", emaWarmup);
        o.addProperty("prediction_type", predictionType.diffusersName());
        o.addProperty("loss_weighting", lossWeighting.jsonName());
        o.addProperty("snr_gamma", snrGamma);
        o.addProperty("p_uncond", pUncond);
        o.addProperty("beta_schedule", betaSchedule.diffusersName());
        o.addProperty("beta_start", betaStart);
        o.addProperty("beta_end", betaEnd);
        o.addProperty("num_train_timesteps", numTrainTimesteps);
        o.addProperty("seed", seed);
        o.addProperty("checkpoint_every", checkpointEvery);
        o.addProperty("keep_last", keepLast);
        o.addProperty("log_every", logEvery);
        o.addProperty("max_consecutive_bad_steps", maxConsecutiveBadSteps);
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n";
    }

    /** Writes {@link #toJson()} atomically. */
    public void save(Path file) throws IOException {
        AtomicFiles.writeString(file, toJson());
    }

    // ------------------------------------------------------------------ derived

    /** The forward process's schedule (double precision). */
    public NoiseSchedule noiseSchedule() {
        return NoiseSchedule.of(betaSchedule, numTrainTimesteps, betaStart, betaEnd);
    }

    /** η at global step s: η·min(1, (s+1)/W) with W = lr_warmup_steps (constant η when W = 0). */
    public double learningRateAt(long step) {
        return lrWarmupSteps <= 0 ? learningRate : learningRate * Math.min(1.0, (step + 1.0) / lrWarmupSteps);
    }

    /**
     * The {@code scheduler/scheduler_config.json} text of a DDPMScheduler with this run's schedule. A model
     * trained for classifier-free guidance (a null class) gets {@code clip_sample: false}, as diffusers' guided
     * pipelines ship: with w &gt; 1 the x₀ estimate overshoots [−1, 1] at high noise, and DDPM/DDIM clipping
     * it (while keeping the unclipped ε, as diffusers does) saturates the images — measured on the bundled
     * model: DDIM 50 at w = 2 gave white blobs with clipping and clean samples without.
     */
    public String schedulerConfigJson() {
        SchedulerConfig c = SchedulerConfig.ddpmDefaults(betaSchedule, numTrainTimesteps, betaStart, betaEnd, predictionType);
        return (nullClassLabel() >= 0 ? c.withClipSample(false) : c).toJson();
    }

    /**
     * Checks that images of {@code channels}×{@code height}×{@code width} (and {@code numClasses}
     * classes, 0 when unlabeled) fit the model: {@code sample_size}, {@code in_channels},
     * {@code out_channels} and {@code num_class_embeds}.
     *
     * @throws IllegalArgumentException naming the data, the model field and the fix
     */
    public void checkData(String dataName, int channels, int height, int width, int numClasses) {
        int size = unetConfig.sampleSize();
        if (size != height || size != width) {
            throw new IllegalArgumentException("data " + dataName + " has " + height + "x" + width
                    + " images but the model's sample_size is " + size + "; set model.sample_size to " + height
                    + (height == width ? "" : " after resizing the images to a square") + " or use " + size + "x" + size
                    + " images");
        }
        int in = unetConfig.inChannels();
        int out = unetConfig.outChannels();
        if (in != channels || out != channels) {
            throw new IllegalArgumentException("data " + dataName + " has " + channels + "-channel images but the model has "
                    + "in_channels " + in + " and out_channels " + out + "; set both to " + channels);
        }
        Integer classes = unetConfig.numClassEmbeds();
        if (classes != null && numClasses == 0) {
            throw new IllegalArgumentException("the model is class-conditional (num_class_embeds " + classes + ") but data "
                    + dataName + " has no labels; set model.num_class_embeds to null");
        }
        if (classes != null && numClasses > classes) {
            throw new IllegalArgumentException("data " + dataName + " has " + numClasses + " classes but the model's "
                    + "num_class_embeds is " + classes + "; set it to at least " + numClasses);
        }
        if (classes != null && pUncond > 0 && classes != numClasses + 1) {
            throw new IllegalArgumentException("p_uncond " + pUncond + " needs a null class: data " + dataName + " has "
                    + numClasses + " classes, so set model.num_class_embeds to " + (numClasses + 1)
                    + " (the last id is the null class), or set p_uncond to 0");
        }
    }

    // ------------------------------------------------------------------ accessors

    /** The diffusers UNet2DModel config object (a copy). */
    public JsonObject model() {
        return model.deepCopy();
    }

    /** The model config, parsed and validated. */
    public UNet2DConfig unetConfig() {
        return unetConfig;
    }

    /** The model config as JSON text. */
    public String modelJson() {
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(model) + "\n";
    }

    public String dataset() {
        return dataset;
    }

    public boolean randomFlip() {
        return randomFlip;
    }

    public int batchSize() {
        return batchSize;
    }

    public double learningRate() {
        return learningRate;
    }

    public int lrWarmupSteps() {
        return lrWarmupSteps;
    }

    public double adamBeta1() {
        return adamBeta1;
    }

    public double adamBeta2() {
        return adamBeta2;
    }

    public double adamEpsilon() {
        return adamEpsilon;
    }

    public double adamWeightDecay() {
        return adamWeightDecay;
    }

    public double maxGradNorm() {
        return maxGradNorm;
    }

    public double emaDecay() {
        return emaDecay;
    }

    public boolean emaWarmup() {
        return emaWarmup;
    }

    public PredictionType predictionType() {
        return predictionType;
    }

    public LossWeighting lossWeighting() {
        return lossWeighting;
    }

    public double snrGamma() {
        return snrGamma;
    }

    /** Label dropout probability for class-conditional models (classifier-free guidance training). */
    public double pUncond() {
        return pUncond;
    }

    /**
     * The null-class label id ∅ = {@code num_class_embeds − 1} that label dropout substitutes, or -1 when
     * the model is unconditional or {@code p_uncond} is 0.
     */
    public long nullClassLabel() {
        Integer k = unetConfig.numClassEmbeds();
        return k == null || pUncond == 0 ? -1 : k - 1;
    }

    public BetaSchedule betaSchedule() {
        return betaSchedule;
    }

    public double betaStart() {
        return betaStart;
    }

    public double betaEnd() {
        return betaEnd;
    }

    public int numTrainTimesteps() {
        return numTrainTimesteps;
    }

    public long seed() {
        return seed;
    }

    public int checkpointEvery() {
        return checkpointEvery;
    }

    public int keepLast() {
        return keepLast;
    }

    public int logEvery() {
        return logEvery;
    }

    public int maxConsecutiveBadSteps() {
        return maxConsecutiveBadSteps;
    }

    /** A builder holding this config's values, to change a few. */
    public Builder toBuilder() {
        Builder b = builder();
        b.model = model.deepCopy();
        b.dataset = dataset;
        b.randomFlip = randomFlip;
        b.batchSize = batchSize;
        b.learningRate = learningRate;
        b.lrWarmupSteps = lrWarmupSteps;
        b.adamBeta1 = adamBeta1;
        b.adamBeta2 = adamBeta2;
        b.adamEpsilon = adamEpsilon;
        b.adamWeightDecay = adamWeightDecay;
        b.maxGradNorm = maxGradNorm;
        b.emaDecay = emaDecay;
        b.emaWarmup = emaWarmup;
        b.predictionType = predictionType;
        b.lossWeighting = lossWeighting;
        b.snrGamma = snrGamma;
        b.pUncond = pUncond;
        b.betaSchedule = betaSchedule;
        b.betaStart = betaStart;
        b.betaEnd = betaEnd;
        b.numTrainTimesteps = numTrainTimesteps;
        b.seed = seed;
        b.checkpointEvery = checkpointEvery;
        b.keepLast = keepLast;
        b.logEvery = logEvery;
        b.maxConsecutiveBadSteps = maxConsecutiveBadSteps;
        return b;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TrainConfig c && c.toJson().equals(toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    @Override
    public String toString() {
        return toJson();
    }

    /** Sets fields; {@link #build()} validates them all. */
    public static final class Builder {
        private String source = "training config";
        private UNet2DConfig unetConfig;
        private JsonObject model;
        private String dataset = "fashion-mnist";
        private boolean randomFlip = true;
        private int batchSize = 128;
        private double learningRate = 2e-4;
        private int lrWarmupSteps = 500;
        private double adamBeta1 = 0.9;
        private double adamBeta2 = 0.999;
        private double adamEpsilon = 1e-8;
        private double adamWeightDecay = 0;
        private double maxGradNorm = 1.0;
        private double emaDecay = 0.9999;
        private boolean emaWarmup = true;
        private PredictionType predictionType = PredictionType.EPSILON;
        private LossWeighting lossWeighting = LossWeighting.NONE;
        private double snrGamma = 5.0;
        private double pUncond = 0.1;
        private BetaSchedule betaSchedule = BetaSchedule.LINEAR;
        private double betaStart = 1e-4;
        private double betaEnd = 0.02;
        private int numTrainTimesteps = 1000;
        private long seed;
        private int checkpointEvery = 1000;
        private int keepLast = 3;
        private int logEvery = 50;
        private int maxConsecutiveBadSteps = 10;

        private Builder() {}

        public Builder setModel(JsonObject model) {
            this.model = model;
            return this;
        }

        public Builder optDataset(String dataset) {
            this.dataset = dataset;
            return this;
        }

        public Builder optRandomFlip(boolean randomFlip) {
            this.randomFlip = randomFlip;
            return this;
        }

        public Builder optBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder optLearningRate(double learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        public Builder optLrWarmupSteps(int lrWarmupSteps) {
            this.lrWarmupSteps = lrWarmupSteps;
            return this;
        }

        public Builder optAdam(double beta1, double beta2, double epsilon, double weightDecay) {
            this.adamBeta1 = beta1;
            this.adamBeta2 = beta2;
            this.adamEpsilon = epsilon;
            this.adamWeightDecay = weightDecay;
            return this;
        }

        public Builder optMaxGradNorm(double maxGradNorm) {
            this.maxGradNorm = maxGradNorm;
            return this;
        }

        public Builder optEma(double decay, boolean warmup) {
            this.emaDecay = decay;
            this.emaWarmup = warmup;
            return this;
        }

        public Builder optPredictionType(PredictionType predictionType) {
            this.predictionType = predictionType;
            return this;
        }

        public Builder optLossWeighting(LossWeighting lossWeighting, double snrGamma) {
            this.lossWeighting = lossWeighting;
            this.snrGamma = snrGamma;
            return this;
        }

        /** Label dropout for classifier-free guidance; see {@link TrainConfig#pUncond()}. */
        public Builder optPUncond(double pUncond) {
            this.pUncond = pUncond;
            return this;
        }

        public Builder optBetaSchedule(BetaSchedule schedule, double betaStart, double betaEnd, int numTrainTimesteps) {
            this.betaSchedule = schedule;
            this.betaStart = betaStart;
            this.betaEnd = betaEnd;
            this.numTrainTimesteps = numTrainTimesteps;
            return this;
        }

        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder optCheckpointing(int checkpointEvery, int keepLast) {
            this.checkpointEvery = checkpointEvery;
            this.keepLast = keepLast;
            return this;
        }

        public Builder optLogEvery(int logEvery) {
            this.logEvery = logEvery;
            return this;
        }

        public Builder optMaxConsecutiveBadSteps(int maxConsecutiveBadSteps) {
            this.maxConsecutiveBadSteps = maxConsecutiveBadSteps;
            return this;
        }

        private IllegalArgumentException bad(String field, Object value, String rule) {
            return new IllegalArgumentException(source + ": field \"" + field + "\" = " + value + ": " + rule);
        }

        /** Validates every field; the message names the field, the value and the accepted range. */
        public TrainConfig build() {
            if (model == null) {
                throw new IllegalArgumentException(source + ": field \"model\" is missing");
            }
            String modelJson = new GsonBuilder().serializeNulls().create().toJson(model);
            unetConfig = UNet2DConfigJson.parse(modelJson, source + ", object \"model\"");
            if (dataset == null || dataset.isBlank()) {
                throw bad("dataset", dataset, "name a data set (fashion-mnist) or an image folder");
            }
            if (batchSize < 1 || batchSize > 1 << 16) {
                throw bad("batch_size", batchSize, "must be in [1, 65536]");
            }
            if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
                throw bad("learning_rate", learningRate, "must be a positive number (2e-4 is the DDPM value)");
            }
            if (lrWarmupSteps < 0) {
                throw bad("lr_warmup_steps", lrWarmupSteps, "must be >= 0");
            }
            if (!(adamBeta1 >= 0 && adamBeta1 < 1)) {
                throw bad("adam_beta1", adamBeta1, "must be in [0, 1)");
            }
            if (!(adamBeta2 >= 0 && adamBeta2 < 1)) {
                throw bad("adam_beta2", adamBeta2, "must be in [0, 1)");
            }
            if (!(adamEpsilon > 0)) {
                throw bad("adam_epsilon", adamEpsilon, "must be > 0");
            }
            if (!(adamWeightDecay >= 0)) {
                throw bad("adam_weight_decay", adamWeightDecay, "must be >= 0");
            }
            if (!(maxGradNorm > 0)) {
                throw bad("max_grad_norm", maxGradNorm, "must be > 0 (use a large value to disable clipping)");
            }
            if (!(emaDecay >= 0 && emaDecay < 1)) {
                throw bad("ema_decay", emaDecay, "must be in [0, 1) (0.9999 in Ho et al. 2020)");
            }
            if (!(pUncond >= 0 && pUncond < 1)) {
                throw bad("p_uncond", pUncond, "must be in [0, 1) (0.1 in Ho & Salimans 2022; 0 = no null class)");
            }
            if (!(snrGamma > 0)) {
                throw bad("snr_gamma", snrGamma, "must be > 0 (5 in Hang et al. 2023)");
            }
            if (numTrainTimesteps < 2 || numTrainTimesteps > 100_000) {
                throw bad("num_train_timesteps", numTrainTimesteps, "must be in [2, 100000]");
            }
            if (!(betaStart > 0 && betaStart < 1) || !(betaEnd > 0 && betaEnd < 1)) {
                throw bad("beta_start/beta_end", betaStart + "/" + betaEnd, "must be in (0, 1)");
            }
            try {
                NoiseSchedule.of(betaSchedule, numTrainTimesteps, betaStart, betaEnd);
            } catch (IllegalArgumentException e) {
                throw bad("beta_schedule", betaSchedule.diffusersName(), e.getMessage());
            }
            if (checkpointEvery < 1) {
                throw bad("checkpoint_every", checkpointEvery, "must be >= 1");
            }
            if (keepLast < 1) {
                throw bad("keep_last", keepLast, "must be >= 1 (checkpoints kept for fallback)");
            }
            if (logEvery < 1) {
                throw bad("log_every", logEvery, "must be >= 1");
            }
            if (maxConsecutiveBadSteps < 1) {
                throw bad("max_consecutive_bad_steps", maxConsecutiveBadSteps, "must be >= 1");
            }
            return new TrainConfig(this);
        }
    }
}
