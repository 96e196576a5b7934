package org.diffusion4j.train;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Predicate;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusers.UNet2DConditionFolder;
import org.diffusion4j.diffusers.UNet2DConfigJson;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.nn.UNet2DConditionConfig;
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
 * <tr><td>lr_scheduler, lr_total_steps</td><td>"constant", 0</td><td>after the warm-up: constant, or linear | cosine decay
 *     to 0 at step lr_total_steps (diffusers' get_scheduler and num_training_steps); see {@link LrScheduler}</td></tr>
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
 * <tr><td>init_from</td><td>""</td><td>fine-tuning: a model folder whose {@code unet/} weights (same architecture)
 *     start the run instead of a random initialisation ({@link Training#initialiseFrom})</td></tr>
 * <tr><td>hard_negative_weight, hard_negative_beta</td><td>0, 100</td><td>text runs: λ and β of the term that asks
 *     the U-Net to denoise an image better under its caption than under the caption with the objects swapped
 *     ({@link HardNegatives}); 0 = off</td></tr>
 * </table>
 *
 * Dropout is the model's own {@code dropout} field. Unknown keys are refused (they are typos). The
 * model object is validated by {@code UNet2DConfigJson} (known block types, channels divisible by
 * the groups, …) when the config is built, so a bad config fails before anything is written.
 *
 * <p>Each key is one line of {@link Key}: its JSON name, type, default and rule. Reading, writing,
 * copying, equality and validation all follow that table, so adding a key is adding that line (and,
 * if the code wants it by name, a getter).
 */
public final class TrainConfig {

    /** The names of the shipped presets ({@code presets/<name>.json} next to this class). */
    public static final List<String> PRESETS = List.of("tiny", "fashion-mnist", "fashion-mnist-cond", "shapes-t2i", "shapes-ldm", "shapes-t2i-64",
            "shapes-sr");

    /** How a text-conditional run treats its text encoder (the ablation of the text-to-image issue). */
    public enum TextEncoderTraining {
        /** The encoder of {@code text_encoder}, trained contrastively beforehand, fixed (Imagen, Stable Diffusion). */
        FROZEN("frozen"),
        /** The same architecture from random weights, trained with the U-Net by the diffusion loss alone. */
        JOINT("joint"),
        /** Token embeddings only (no position, no attention: a bag of words), trained with the U-Net. */
        BAG_OF_WORDS("bag_of_words");

        private final String jsonName;

        TextEncoderTraining(String jsonName) {
            this.jsonName = jsonName;
        }

        public String jsonName() {
            return jsonName;
        }

        /** The mode named {@code s} (case-insensitive). */
        public static TextEncoderTraining parse(String s) {
            for (TextEncoderTraining t : values()) {
                if (t.jsonName.equals(s.toLowerCase(Locale.ROOT))) {
                    return t;
                }
            }
            throw new IllegalArgumentException("use frozen, joint or bag_of_words");
        }
    }

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

        /** The weighting named {@code s} (case-insensitive). */
        public static LossWeighting parse(String s) {
            for (LossWeighting w : values()) {
                if (w.jsonName.equals(s.toLowerCase(Locale.ROOT))) {
                    return w;
                }
            }
            throw new IllegalArgumentException("use none or min_snr");
        }
    }

    /** How a key's value is read from and written to JSON. */
    private record Type(BiFunction<JsonFields, Key, Object> read, Function<Object, JsonElement> write) {
        static final Type STRING = new Type((f, k) -> f.string(k.json, (String) k.fallback), v -> new JsonPrimitive((String) v));
        static final Type BOOL = new Type((f, k) -> f.bool(k.json, (Boolean) k.fallback), v -> new JsonPrimitive((Boolean) v));
        static final Type INT = new Type((f, k) -> f.integer(k.json, (Integer) k.fallback), v -> new JsonPrimitive((Integer) v));
        static final Type LONG = new Type((f, k) -> f.longValue(k.json, (Long) k.fallback), v -> new JsonPrimitive((Long) v));
        static final Type DOUBLE = new Type((f, k) -> f.number(k.json, (Double) k.fallback), v -> new JsonPrimitive((Double) v));
        static final Type PREDICTION = new Type((f, k) -> f.named(k.json, k.fallback, PredictionType::parse),
                v -> new JsonPrimitive(((PredictionType) v).diffusersName()));
        static final Type WEIGHTING = new Type((f, k) -> f.named(k.json, k.fallback, LossWeighting::parse),
                v -> new JsonPrimitive(((LossWeighting) v).jsonName()));
        static final Type TEXT_TRAINING = new Type((f, k) -> f.named(k.json, k.fallback, TextEncoderTraining::parse),
                v -> new JsonPrimitive(((TextEncoderTraining) v).jsonName()));
        static final Type LR = new Type((f, k) -> f.named(k.json, k.fallback, LrScheduler::parse),
                v -> new JsonPrimitive(((LrScheduler) v).jsonName()));
        static final Type SCHEDULE = new Type((f, k) -> f.named(k.json, k.fallback, BetaSchedule::parse),
                v -> new JsonPrimitive(((BetaSchedule) v).diffusersName()));
    }

    /** The training keys, in the order they are written: JSON name, type, default, and the rule a value must meet. */
    public enum Key {
        DATASET("dataset", Type.STRING, "fashion-mnist", v -> !((String) v).isBlank(), "name a data set (fashion-mnist) or an image folder"),
        RANDOM_FLIP("random_flip", Type.BOOL, true, v -> true, ""),
        BATCH_SIZE("batch_size", Type.INT, 128, v -> (int) v >= 1 && (int) v <= 1 << 16, "must be in [1, 65536]"),
        LEARNING_RATE("learning_rate", Type.DOUBLE, 2e-4, v -> (double) v > 0 && !Double.isInfinite((double) v),
                "must be a positive number (2e-4 is the DDPM value)"),
        LR_WARMUP_STEPS("lr_warmup_steps", Type.INT, 500, v -> (int) v >= 0, "must be >= 0"),
        /** Written only when not constant, so the configs of earlier runs read and write as before the key existed. */
        LR_SCHEDULER("lr_scheduler", Type.LR, LrScheduler.CONSTANT, v -> true, "", true),
        LR_TOTAL_STEPS("lr_total_steps", Type.LONG, 0L, v -> (long) v >= 0, "must be >= 0", true),
        ADAM_BETA1("adam_beta1", Type.DOUBLE, 0.9, v -> (double) v >= 0 && (double) v < 1, "must be in [0, 1)"),
        ADAM_BETA2("adam_beta2", Type.DOUBLE, 0.999, v -> (double) v >= 0 && (double) v < 1, "must be in [0, 1)"),
        ADAM_EPSILON("adam_epsilon", Type.DOUBLE, 1e-8, v -> (double) v > 0, "must be > 0"),
        ADAM_WEIGHT_DECAY("adam_weight_decay", Type.DOUBLE, 0.0, v -> (double) v >= 0, "must be >= 0"),
        MAX_GRAD_NORM("max_grad_norm", Type.DOUBLE, 1.0, v -> (double) v > 0, "must be > 0 (use a large value to disable clipping)"),
        EMA_DECAY("ema_decay", Type.DOUBLE, 0.9999, v -> (double) v >= 0 && (double) v < 1, "must be in [0, 1) (0.9999 in Ho et al. 2020)"),
        EMA_WARMUP("ema_warmup", Type.BOOL, true, v -> true, ""),
        PREDICTION_TYPE("prediction_type", Type.PREDICTION, PredictionType.EPSILON, v -> true, ""),
        LOSS_WEIGHTING("loss_weighting", Type.WEIGHTING, LossWeighting.NONE, v -> true, ""),
        SNR_GAMMA("snr_gamma", Type.DOUBLE, 5.0, v -> (double) v > 0, "must be > 0 (5 in Hang et al. 2023)"),
        P_UNCOND("p_uncond", Type.DOUBLE, 0.1, v -> (double) v >= 0 && (double) v < 1,
                "must be in [0, 1) (0.1 in Ho & Salimans 2022; 0 = no null class)"),
        BETA_SCHEDULE("beta_schedule", Type.SCHEDULE, BetaSchedule.LINEAR, v -> true, ""),
        BETA_START("beta_start", Type.DOUBLE, 1e-4, v -> (double) v > 0 && (double) v < 1, "must be in (0, 1)"),
        BETA_END("beta_end", Type.DOUBLE, 0.02, v -> (double) v > 0 && (double) v < 1, "must be in (0, 1)"),
        NUM_TRAIN_TIMESTEPS("num_train_timesteps", Type.INT, 1000, v -> (int) v >= 2 && (int) v <= 100_000, "must be in [2, 100000]"),
        SEED("seed", Type.LONG, 0L, v -> true, ""),
        CHECKPOINT_EVERY("checkpoint_every", Type.INT, 1000, v -> (int) v >= 1, "must be >= 1"),
        KEEP_LAST("keep_last", Type.INT, 3, v -> (int) v >= 1, "must be >= 1 (checkpoints kept for fallback)"),
        LOG_EVERY("log_every", Type.INT, 50, v -> (int) v >= 1, "must be >= 1"),
        MAX_CONSECUTIVE_BAD_STEPS("max_consecutive_bad_steps", Type.INT, 10, v -> (int) v >= 1, "must be >= 1"),
        /** Written only when set, so the configs of image models read and write as before the key existed. */
        TEXT_ENCODER("text_encoder", Type.STRING, "", v -> true, "", true),
        /** frozen (default), joint or bag_of_words: see {@link TextEncoderTraining}; written only when not frozen. */
        TEXT_ENCODER_TRAINING("text_encoder_training", Type.TEXT_TRAINING, TextEncoderTraining.FROZEN, v -> true, "", true),
        /** Latent diffusion: the train-vae output (or a diffusers AutoencoderKL folder) whose scaled latents the U-Net learns. */
        VAE("vae", Type.STRING, "", v -> true, "", true),
        /** A cascade's super-resolution stage: the factor its condition is smaller by (0: not one). */
        SR_FACTOR("sr_factor", Type.INT, 0, v -> (int) v == 0 || (int) v == 2 || (int) v == 4, "must be 0 (off), 2 or 4", true),
        /** Its conditioning augmentation: training levels s are uniform in {0, …, this} (CDM); 0 = (almost) none. */
        SR_MAX_NOISE_LEVEL("sr_max_noise_level", Type.INT, 0, v -> (int) v >= 0 && (int) v < 1000, "must be in [0, 999]", true),
        /** Fine-tuning: a model folder whose {@code unet/} weights start the run instead of random ones (diffusers' --pretrained_model_name_or_path). */
        INIT_FROM("init_from", Type.STRING, "", v -> true, "", true),
        /** Text runs: λ of the {@link HardNegatives} term (0: off). */
        HARD_NEGATIVE_WEIGHT("hard_negative_weight", Type.DOUBLE, 0.0, v -> (double) v >= 0 && (double) v <= 100,
                "must be in [0, 100] (0 = off)", true),
        /** Its β: the scale of denoising-error differences it pushes on. */
        HARD_NEGATIVE_BETA("hard_negative_beta", Type.DOUBLE, 100.0, v -> (double) v > 0 && (double) v <= 1e6, "must be in (0, 1e6]", true);

        private final String json;
        private final Type type;
        private final Object fallback;
        private final Predicate<Object> valid;
        private final String rule;
        private final boolean omitDefault;

        Key(String json, Type type, Object fallback, Predicate<Object> valid, String rule) {
            this(json, type, fallback, valid, rule, false);
        }

        Key(String json, Type type, Object fallback, Predicate<Object> valid, String rule, boolean omitDefault) {
            this.json = json;
            this.type = type;
            this.fallback = fallback;
            this.valid = valid;
            this.rule = rule;
            this.omitDefault = omitDefault;
        }

        /** The key's name in the JSON file. */
        public String json() {
            return json;
        }

        /** The value when the file does not give one. */
        public Object fallback() {
            return fallback;
        }
    }

    private static final String MODEL = "model";

    private final JsonObject model;
    private final UNet2DConfig unetConfig;
    private final UNet2DConditionConfig conditionConfig;
    private final Object[] values;

    private TrainConfig(JsonObject model, UNet2DConfig unetConfig, UNet2DConditionConfig conditionConfig, Object[] values) {
        this.model = model.deepCopy();
        this.unetConfig = unetConfig;
        this.conditionConfig = conditionConfig;
        this.values = values.clone();
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
        Set<String> known = new HashSet<>(Set.of(MODEL));
        for (Key k : Key.values()) {
            known.add(k.json);
        }
        f.requireOnly(known);
        if (!f.has(MODEL) || !f.json().get(MODEL).isJsonObject()) {
            throw new IllegalArgumentException(source + ": field \"model\" is missing or not an object; it holds a "
                    + "diffusers UNet2DModel config (block_out_channels, down_block_types, ...)");
        }
        Builder b = builder().setModel(f.json().getAsJsonObject(MODEL));
        b.source = source;
        for (Key k : Key.values()) {
            b.values[k.ordinal()] = k.type.read().apply(f, k);
        }
        return b.build();
    }

    /** Every field, pretty-printed (the form stored in checkpoints). */
    public String toJson() {
        JsonObject o = new JsonObject();
        o.add(MODEL, model.deepCopy());
        for (Key k : Key.values()) {
            if (!(k.omitDefault && k.fallback.equals(values[k.ordinal()]))) {
                o.add(k.json, k.type.write().apply(values[k.ordinal()]));
            }
        }
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(o) + "\n";
    }

    /** Writes {@link #toJson()} atomically. */
    public void save(Path file) throws IOException {
        AtomicFiles.writeString(file, toJson());
    }

    // ------------------------------------------------------------------ derived

    /** The forward process's schedule (double precision). */
    public NoiseSchedule noiseSchedule() {
        return NoiseSchedule.of(betaSchedule(), numTrainTimesteps(), betaStart(), betaEnd());
    }

    /** η at global step s: the warm-up η·(s+1)/W for s &lt; W = lr_warmup_steps, then {@link LrScheduler#factor the schedule}. */
    public double learningRateAt(long step) {
        return learningRate() * lrScheduler().factor(step, lrWarmupSteps(), lrTotalSteps());
    }

    /**
     * The {@code scheduler/scheduler_config.json} text of a DDPMScheduler with this run's schedule. A model
     * trained for classifier-free guidance (a null class, or a text model with p_uncond &gt; 0) gets {@code clip_sample: false}, as diffusers' guided
     * pipelines ship: with w &gt; 1 the x₀ estimate overshoots [−1, 1] at high noise, and DDPM/DDIM clipping
     * it (while keeping the unclipped ε, as diffusers does) saturates the images — measured on the bundled
     * model: DDIM 50 at w = 2 gave white blobs with clipping and clean samples without; on the shapes text model,
     * clipping at w = 2 turned a third of the black background grey and every analyzer verdict wrong.
     */
    public String schedulerConfigJson() {
        SchedulerConfig c = SchedulerConfig.ddpmDefaults(betaSchedule(), numTrainTimesteps(), betaStart(), betaEnd(), predictionType());
        boolean guided = nullClassLabel() >= 0 || (isText() && pUncond() > 0);
        return (guided ? c.withClipSample(false) : c).toJson();
    }

    /**
     * Checks that images of {@code channels}×{@code height}×{@code width} (and {@code numClasses}
     * classes, 0 when unlabeled) fit the model: {@code sample_size}, {@code in_channels},
     * {@code out_channels} and {@code num_class_embeds}.
     *
     * @throws IllegalArgumentException naming the data, the model field and the fix
     */
    public void checkData(String dataName, int channels, int height, int width, int numClasses) {
        if (conditionConfig != null) {
            checkTextData(dataName, channels, height, width);
            return;
        }
        int size = unetConfig.sampleSize();
        if (size != height || size != width) {
            throw new IllegalArgumentException("data " + dataName + " has " + height + "x" + width
                    + " images but the model's sample_size is " + size + "; set model.sample_size to " + height
                    + (height == width ? "" : " after resizing the images to a square") + " or use " + size + "x" + size
                    + " images");
        }
        int in = unetConfig.inChannels();
        int out = unetConfig.outChannels();
        if (srFactor() > 0) {
            if (in != 2 * channels || out != channels) {
                throw new IllegalArgumentException("data " + dataName + " has " + channels + "-channel images; a super-resolution model "
                        + "takes x_t and the condition: set in_channels to " + 2 * channels + " and out_channels to " + channels);
            }
            if (height % srFactor() != 0) {
                throw new IllegalArgumentException("sr_factor " + srFactor() + " must divide the image size " + height);
            }
            return;
        }
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
        if (classes != null && pUncond() > 0 && classes != numClasses + 1) {
            throw new IllegalArgumentException("p_uncond " + pUncond() + " needs a null class: data " + dataName + " has "
                    + numClasses + " classes, so set model.num_class_embeds to " + (numClasses + 1)
                    + " (the last id is the null class), or set p_uncond to 0");
        }
    }

    private void checkTextData(String dataName, int channels, int height, int width) {
        UNet2DConditionConfig c = conditionConfig;
        if (c.sampleSize() != height || c.sampleSize() != width) {
            throw new IllegalArgumentException("data " + dataName + " has " + height + "x" + width + " images but the model's "
                    + "sample_size is " + c.sampleSize() + "; set model.sample_size to " + height);
        }
        if (c.inChannels() != channels || c.outChannels() != channels) {
            throw new IllegalArgumentException("data " + dataName + " has " + channels + "-channel images but the model has "
                    + "in_channels " + c.inChannels() + " and out_channels " + c.outChannels() + "; set both to " + channels);
        }
    }

    // ------------------------------------------------------------------ accessors

    /** The value of {@code key}. */
    public Object get(Key key) {
        return values[key.ordinal()];
    }

    /** The diffusers UNet2DModel config object (a copy). */
    public JsonObject model() {
        return model.deepCopy();
    }

    /** The model config, parsed and validated; null for a text-conditional run ({@link #isText()}). */
    public UNet2DConfig unetConfig() {
        return unetConfig;
    }

    /** The UNet2DConditionModel config of a text-conditional run, else null. */
    public UNet2DConditionConfig conditionConfig() {
        return conditionConfig;
    }

    /** Whether the run trains a text-conditional U-Net (the key {@code text_encoder} names a train-clip folder). */
    public boolean isText() {
        return conditionConfig != null;
    }

    /** The folder with {@code tokenizer/} and {@code text_encoder/} of a text-conditional run ("" otherwise). */
    public String textEncoder() {
        return (String) get(Key.TEXT_ENCODER);
    }

    /** How the text encoder is treated: frozen, or trained with the U-Net (the ablation's arms). */
    public TextEncoderTraining textEncoderTraining() {
        return (TextEncoderTraining) get(Key.TEXT_ENCODER_TRAINING);
    }

    /** The frozen auto-encoder folder of a latent-diffusion run ("" for pixel diffusion). */
    public String vae() {
        return (String) get(Key.VAE);
    }

    /** The model folder whose U-Net weights start the run, or "" for a fresh initialisation. */
    public String initFrom() {
        return (String) get(Key.INIT_FROM);
    }

    /** Whether the U-Net learns the latents of an auto-encoder ({@link #vae()}; Rombach et al. 2022). */
    public boolean isLatent() {
        return !vae().isEmpty();
    }

    /** A super-resolution stage's factor, 0 for any other model. */
    public int srFactor() {
        return (int) get(Key.SR_FACTOR);
    }

    /** The largest conditioning-augmentation level of a super-resolution stage. */
    public int srMaxNoiseLevel() {
        return (int) get(Key.SR_MAX_NOISE_LEVEL);
    }

    /** The model config as JSON text. */
    public String modelJson() {
        return new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(model) + "\n";
    }

    public String dataset() {
        return (String) get(Key.DATASET);
    }

    public boolean randomFlip() {
        return (Boolean) get(Key.RANDOM_FLIP);
    }

    public int batchSize() {
        return (Integer) get(Key.BATCH_SIZE);
    }

    public double learningRate() {
        return (Double) get(Key.LEARNING_RATE);
    }

    public int lrWarmupSteps() {
        return (Integer) get(Key.LR_WARMUP_STEPS);
    }

    public double adamBeta1() {
        return (Double) get(Key.ADAM_BETA1);
    }

    public double adamBeta2() {
        return (Double) get(Key.ADAM_BETA2);
    }

    public double adamEpsilon() {
        return (Double) get(Key.ADAM_EPSILON);
    }

    public double adamWeightDecay() {
        return (Double) get(Key.ADAM_WEIGHT_DECAY);
    }

    public double maxGradNorm() {
        return (Double) get(Key.MAX_GRAD_NORM);
    }

    public double emaDecay() {
        return (Double) get(Key.EMA_DECAY);
    }

    public boolean emaWarmup() {
        return (Boolean) get(Key.EMA_WARMUP);
    }

    public PredictionType predictionType() {
        return (PredictionType) get(Key.PREDICTION_TYPE);
    }

    public LrScheduler lrScheduler() {
        return (LrScheduler) get(Key.LR_SCHEDULER);
    }

    /** The step where a decaying learning rate reaches 0 (diffusers' num_training_steps); 0 for a constant rate. */
    public long lrTotalSteps() {
        return (Long) get(Key.LR_TOTAL_STEPS);
    }

    public LossWeighting lossWeighting() {
        return (LossWeighting) get(Key.LOSS_WEIGHTING);
    }

    public double snrGamma() {
        return (Double) get(Key.SNR_GAMMA);
    }

    /** λ of the {@link HardNegatives} term of text runs; 0 when off. */
    public double hardNegativeWeight() {
        return (Double) get(Key.HARD_NEGATIVE_WEIGHT);
    }

    /** β of the {@link HardNegatives} term. */
    public double hardNegativeBeta() {
        return (Double) get(Key.HARD_NEGATIVE_BETA);
    }

    /** Label dropout probability for class-conditional models (classifier-free guidance training). */
    public double pUncond() {
        return (Double) get(Key.P_UNCOND);
    }

    /**
     * The null-class label id ∅ = {@code num_class_embeds − 1} that label dropout substitutes, or -1 when
     * the model is unconditional or {@code p_uncond} is 0.
     */
    public long nullClassLabel() {
        if (unetConfig == null) {
            return -1;
        }
        Integer k = unetConfig.numClassEmbeds();
        return k == null || pUncond() == 0 ? -1 : k - 1;
    }

    public BetaSchedule betaSchedule() {
        return (BetaSchedule) get(Key.BETA_SCHEDULE);
    }

    public double betaStart() {
        return (Double) get(Key.BETA_START);
    }

    public double betaEnd() {
        return (Double) get(Key.BETA_END);
    }

    public int numTrainTimesteps() {
        return (Integer) get(Key.NUM_TRAIN_TIMESTEPS);
    }

    public long seed() {
        return (Long) get(Key.SEED);
    }

    public int checkpointEvery() {
        return (Integer) get(Key.CHECKPOINT_EVERY);
    }

    public int keepLast() {
        return (Integer) get(Key.KEEP_LAST);
    }

    public int logEvery() {
        return (Integer) get(Key.LOG_EVERY);
    }

    public int maxConsecutiveBadSteps() {
        return (Integer) get(Key.MAX_CONSECUTIVE_BAD_STEPS);
    }

    /** A builder holding this config's values, to change a few. */
    public Builder toBuilder() {
        Builder b = builder().setModel(model.deepCopy());
        System.arraycopy(values, 0, b.values, 0, values.length);
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

    /** Sets fields ({@link #set} any key, or the typed shortcuts); {@link #build()} validates them all. */
    public static final class Builder {
        private String source = "training config";
        private JsonObject model;
        private final Object[] values = new Object[Key.values().length];

        private Builder() {
            for (Key k : Key.values()) {
                values[k.ordinal()] = k.fallback;
            }
        }

        /** Sets {@code key} (a value of its type: Integer, Double, Boolean, String, Long or the key's enum). */
        public Builder set(Key key, Object value) {
            Class<?> type = key.fallback instanceof Enum<?> e ? e.getDeclaringClass() : key.fallback.getClass();
            values[key.ordinal()] = type.cast(value);
            return this;
        }

        public Builder setModel(JsonObject model) {
            this.model = model;
            return this;
        }

        public Builder optDataset(String dataset) {
            return set(Key.DATASET, dataset);
        }

        public Builder optRandomFlip(boolean randomFlip) {
            return set(Key.RANDOM_FLIP, randomFlip);
        }

        public Builder optBatchSize(int batchSize) {
            return set(Key.BATCH_SIZE, batchSize);
        }

        public Builder optLearningRate(double learningRate) {
            return set(Key.LEARNING_RATE, learningRate);
        }

        public Builder optLrWarmupSteps(int lrWarmupSteps) {
            return set(Key.LR_WARMUP_STEPS, lrWarmupSteps);
        }

        public Builder optAdam(double beta1, double beta2, double epsilon, double weightDecay) {
            return set(Key.ADAM_BETA1, beta1).set(Key.ADAM_BETA2, beta2).set(Key.ADAM_EPSILON, epsilon)
                    .set(Key.ADAM_WEIGHT_DECAY, weightDecay);
        }

        public Builder optMaxGradNorm(double maxGradNorm) {
            return set(Key.MAX_GRAD_NORM, maxGradNorm);
        }

        public Builder optEma(double decay, boolean warmup) {
            return set(Key.EMA_DECAY, decay).set(Key.EMA_WARMUP, warmup);
        }

        public Builder optPredictionType(PredictionType predictionType) {
            return set(Key.PREDICTION_TYPE, predictionType);
        }

        public Builder optLossWeighting(LossWeighting lossWeighting, double snrGamma) {
            return set(Key.LOSS_WEIGHTING, lossWeighting).set(Key.SNR_GAMMA, snrGamma);
        }

        /** Label dropout for classifier-free guidance; see {@link TrainConfig#pUncond()}. */
        public Builder optPUncond(double pUncond) {
            return set(Key.P_UNCOND, pUncond);
        }

        public Builder optBetaSchedule(BetaSchedule schedule, double betaStart, double betaEnd, int numTrainTimesteps) {
            return set(Key.BETA_SCHEDULE, schedule).set(Key.BETA_START, betaStart).set(Key.BETA_END, betaEnd)
                    .set(Key.NUM_TRAIN_TIMESTEPS, numTrainTimesteps);
        }

        public Builder optSeed(long seed) {
            return set(Key.SEED, seed);
        }

        public Builder optCheckpointing(int checkpointEvery, int keepLast) {
            return set(Key.CHECKPOINT_EVERY, checkpointEvery).set(Key.KEEP_LAST, keepLast);
        }

        public Builder optLogEvery(int logEvery) {
            return set(Key.LOG_EVERY, logEvery);
        }

        public Builder optMaxConsecutiveBadSteps(int maxConsecutiveBadSteps) {
            return set(Key.MAX_CONSECUTIVE_BAD_STEPS, maxConsecutiveBadSteps);
        }

        private IllegalArgumentException bad(String field, Object value, String rule) {
            return new IllegalArgumentException(source + ": field \"" + field + "\" = " + value + ": " + rule);
        }

        /** Validates every field; the message names the field, the value and the accepted range. */
        public TrainConfig build() {
            if (model == null) {
                throw new IllegalArgumentException(source + ": field \"model\" is missing");
            }
            boolean text = !((String) values[Key.TEXT_ENCODER.ordinal()]).isEmpty();
            if (!((String) values[Key.VAE.ordinal()]).isEmpty() && !text) {
                throw bad("vae", values[Key.VAE.ordinal()], "latent diffusion is trained text-conditionally here (a StableDiffusionPipeline); "
                        + "set text_encoder too, or remove vae");
            }
            if (values[Key.TEXT_ENCODER_TRAINING.ordinal()] != TextEncoderTraining.FROZEN && !text) {
                throw bad("text_encoder_training", ((TextEncoderTraining) values[Key.TEXT_ENCODER_TRAINING.ordinal()]).jsonName(),
                        "is for text-conditional runs; set text_encoder (its tokenizer and the encoder's architecture are used)");
            }
            if ((double) values[Key.HARD_NEGATIVE_WEIGHT.ordinal()] > 0 && !text) {
                throw bad("hard_negative_weight", values[Key.HARD_NEGATIVE_WEIGHT.ordinal()],
                        "is for text-conditional runs (it contrasts each caption with its objects swapped); set text_encoder, or remove it");
            }
            JsonFields modelFields = JsonFields.of(model, source + ", object \"model\"");
            UNet2DConfig unet = text ? null : UNet2DConfigJson.fromJson(modelFields);
            UNet2DConditionConfig cond = text ? UNet2DConditionFolder.fromJson(modelFields) : null;
            for (Key k : Key.values()) {
                Object v = values[k.ordinal()];
                if (v == null || !k.valid.test(v)) {
                    throw bad(k.json, v, k.rule);
                }
            }
            LrScheduler lr = (LrScheduler) values[Key.LR_SCHEDULER.ordinal()];
            if (lr != LrScheduler.CONSTANT && (long) values[Key.LR_TOTAL_STEPS.ordinal()] <= (int) values[Key.LR_WARMUP_STEPS.ordinal()]) {
                throw bad("lr_total_steps", values[Key.LR_TOTAL_STEPS.ordinal()], "must be greater than lr_warmup_steps ("
                        + values[Key.LR_WARMUP_STEPS.ordinal()] + ") for lr_scheduler " + lr.jsonName() + ": it is the step where the rate "
                        + "reaches 0 (diffusers' num_training_steps)");
            }
            if (cond != null && (boolean) values[Key.RANDOM_FLIP.ordinal()]) {
                throw bad("random_flip", true, "must be false for a text-conditional run (a flip swaps left and right in the captions)");
            }
            try {
                NoiseSchedule.of((BetaSchedule) values[Key.BETA_SCHEDULE.ordinal()], (int) values[Key.NUM_TRAIN_TIMESTEPS.ordinal()],
                        (double) values[Key.BETA_START.ordinal()], (double) values[Key.BETA_END.ordinal()]);
            } catch (IllegalArgumentException e) {
                throw bad("beta_schedule", ((BetaSchedule) values[Key.BETA_SCHEDULE.ordinal()]).diffusersName(), e.getMessage());
            }
            return new TrainConfig(model, unet, cond, values);
        }
    }
}
