package org.diffusion4j.sampling;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.schedule.BetaSchedule;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;

/**
 * A diffusers {@code scheduler_config.json} (DDPMScheduler, DDIMScheduler, DPMSolverMultistepScheduler,
 * EulerDiscreteScheduler): the training noise schedule plus the sampler defaults it carries. Immutable.
 *
 * <p>Reading is lenient about syntax (Python's {@code Infinity}/{@code -Infinity}/{@code NaN} literals, as
 * diffusers writes them) and strict about meaning: a value this toolkit does not implement is refused with the
 * file, the field and the accepted values; a missing field takes the class's diffusers default; fields that do
 * not change sampling (or that this toolkit does not know) are listed by {@link #ignoredKeys()}.
 * {@link #write(Path)} writes what diffusers' {@code save_config} writes: sorted keys, two-space indent.
 */
public final class SchedulerConfig {

    /** The diffusers version whose key set and defaults this class follows. */
    public static final String DIFFUSERS_VERSION = "0.31.0";

    public static final String DDPM = "DDPMScheduler";
    public static final String DDIM = "DDIMScheduler";
    public static final String DPM_SOLVER_MULTISTEP = "DPMSolverMultistepScheduler";
    public static final String EULER_DISCRETE = "EulerDiscreteScheduler";

    private final Values v;
    private final List<String> ignoredKeys;

    private SchedulerConfig(Values v, List<String> ignoredKeys) {
        this.v = v;
        this.ignoredKeys = List.copyOf(ignoredKeys);
    }

    // ---- reading ---------------------------------------------------------------------------------------------

    /** Reads and validates a {@code scheduler_config.json}. */
    public static SchedulerConfig read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** Parses config JSON; {@code source} names it in error messages (usually the file path). */
    public static SchedulerConfig parse(String json, String source) {
        JsonObject o;
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.setStrictness(Strictness.LENIENT);
            JsonElement root = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException(source + ": trailing content after the JSON object");
            }
            if (!root.isJsonObject()) {
                throw new IllegalArgumentException(source + ": a scheduler config must be a JSON object, got " + root);
            }
            o = root.getAsJsonObject();
        } catch (com.google.gson.JsonParseException | IOException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getMessage(), e);
        }
        return SchedulerConfigReader.read(o, source);
    }

    // ---- construction ----------------------------------------------------------------------------------------

    /**
     * The DDPMScheduler config a model trained here ships: diffusers' defaults (fixed_small, clip_sample on,
     * leading spacing) around the given training schedule.
     */
    public static SchedulerConfig ddpmDefaults(BetaSchedule betaSchedule, int numTrainTimesteps, double betaStart,
            double betaEnd, PredictionType predictionType) {
        Values v = Values.defaults(DDPM);
        v.betaSchedule = Objects.requireNonNull(betaSchedule, "betaSchedule");
        v.numTrainTimesteps = numTrainTimesteps;
        v.betaStart = betaStart;
        v.betaEnd = betaEnd;
        v.predictionType = Objects.requireNonNull(predictionType, "predictionType");
        v.validate("ddpmDefaults");
        return new SchedulerConfig(v, List.of());
    }

    /** diffusers' DDPMScheduler defaults: linear β 1e-4 → 0.02 over T = 1000, ε-prediction. */
    public static SchedulerConfig ddpmDefaults() {
        return ddpmDefaults(BetaSchedule.LINEAR, 1000, 1e-4, 0.02, PredictionType.EPSILON);
    }

    static SchedulerConfig of(Values v, List<String> ignoredKeys) {
        return new SchedulerConfig(v, ignoredKeys);
    }

    /** A copy as another scheduler class (e.g. to write a DDIMScheduler config for the same schedule). */
    public SchedulerConfig withClassName(String className) {
        Values c = v.copy();
        c.className = SchedulerConfigReader.checkClassName(className, "withClassName");
        return new SchedulerConfig(c, List.of());
    }

    // ---- what it means ---------------------------------------------------------------------------------------

    /** The training noise schedule: trained_betas or the named β schedule, rescaled to zero terminal SNR if asked. */
    public NoiseSchedule noiseSchedule() {
        NoiseSchedule s = v.trainedBetas != null
                ? NoiseSchedule.fromBetas(v.trainedBetas)
                : NoiseSchedule.of(v.betaSchedule, v.numTrainTimesteps, v.betaStart, v.betaEnd);
        return v.rescaleBetasZeroSnr ? s.rescaledToZeroTerminalSnr() : s;
    }

    /** Sampler options with this config's settings and {@code steps} steps. */
    public SamplerOptions samplerOptions(int steps) {
        return SamplerOptions.builder()
                .steps(steps)
                .spacing(v.timestepSpacing)
                .stepsOffset(v.stepsOffset)
                .clipSample(v.clipSample)
                .clipSampleRange(v.clipSampleRange)
                .thresholding(v.thresholding)
                .dynamicThresholdingRatio(v.dynamicThresholdingRatio)
                .sampleMaxValue(v.sampleMaxValue)
                .varianceType(v.varianceType == null ? VarianceType.FIXED_SMALL : v.varianceType)
                .setAlphaToOne(v.setAlphaToOne)
                .karrasSigmas(v.useKarrasSigmas)
                .sigmaMin(v.sigmaMin)
                .sigmaMax(v.sigmaMax)
                .interpolation(v.interpolation)
                .finalSigmaZero(v.finalSigmaZero)
                .solverOrder(v.solverOrder)
                .solverType(v.solverType)
                .lowerOrderFinal(v.lowerOrderFinal)
                .eulerAtFinal(v.eulerAtFinal)
                .lambdaMinClipped(v.lambdaMinClipped)
                .build();
    }

    /** The diffusers sampler this config belongs to, as a {@link Samplers} name candidate. */
    public String samplerName() {
        return switch (v.className) {
            case DDPM -> "ddpm";
            case DDIM -> "ddim";
            case DPM_SOLVER_MULTISTEP -> "dpm-solver++";
            case EULER_DISCRETE -> "euler";
            default -> throw new IllegalStateException(v.className);
        };
    }

    public String className() {
        return v.className;
    }

    public String diffusersVersion() {
        return v.diffusersVersion;
    }

    public int numTrainTimesteps() {
        return v.numTrainTimesteps;
    }

    public double betaStart() {
        return v.betaStart;
    }

    public double betaEnd() {
        return v.betaEnd;
    }

    public BetaSchedule betaSchedule() {
        return v.betaSchedule;
    }

    /** trained_betas, or null when the named schedule is used. */
    public double[] trainedBetas() {
        return v.trainedBetas == null ? null : v.trainedBetas.clone();
    }

    /** variance_type, or null where the class has none (DDIM, Euler) or it is null (DPM-Solver). */
    public VarianceType varianceType() {
        return v.varianceType;
    }

    public boolean clipSample() {
        return v.clipSample;
    }

    public double clipSampleRange() {
        return v.clipSampleRange;
    }

    /** What the model predicts; a denoiser wrapping the model should report it. */
    public PredictionType predictionType() {
        return v.predictionType;
    }

    public TimestepSpacing timestepSpacing() {
        return v.timestepSpacing;
    }

    public int stepsOffset() {
        return v.stepsOffset;
    }

    public boolean setAlphaToOne() {
        return v.setAlphaToOne;
    }

    public boolean rescaleBetasZeroSnr() {
        return v.rescaleBetasZeroSnr;
    }

    public boolean thresholding() {
        return v.thresholding;
    }

    /** Keys present in the file that do not affect sampling here (e.g. {@code tensor_format} of old configs). */
    public List<String> ignoredKeys() {
        return ignoredKeys;
    }

    // ---- writing ---------------------------------------------------------------------------------------------

    /** The config as diffusers' {@code to_json_string} writes it (sorted keys, indent 2, trailing newline). */
    public String toJson() {
        Map<String, Object> m = v.toMap();
        StringBuilder b = new StringBuilder("{\n");
        List<String> keys = new ArrayList<>(m.keySet());
        Collections.sort(keys);
        for (int i = 0; i < keys.size(); i++) {
            b.append("  ").append(PythonJson.string(keys.get(i))).append(": ");
            PythonJson.value(b, m.get(keys.get(i)), "  ");
            b.append(i + 1 < keys.size() ? ",\n" : "\n");
        }
        return b.append("}\n").toString();
    }

    /** Writes {@link #toJson()} atomically (temporary file, fsync, rename): a crash never leaves half a file. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toJson());
    }

    @Override
    public String toString() {
        return "SchedulerConfig" + v.toMap();
    }

    /** All values, mutable while reading; frozen once wrapped in a {@link SchedulerConfig}. */
    static final class Values implements Cloneable {
        String className;
        String diffusersVersion = DIFFUSERS_VERSION;
        int numTrainTimesteps = 1000;
        double betaStart = 0.0001;
        double betaEnd = 0.02;
        BetaSchedule betaSchedule = BetaSchedule.LINEAR;
        double[] trainedBetas;
        VarianceType varianceType;
        boolean clipSample;
        double clipSampleRange = 1.0;
        PredictionType predictionType = PredictionType.EPSILON;
        TimestepSpacing timestepSpacing;
        int stepsOffset;
        boolean setAlphaToOne = true;
        boolean rescaleBetasZeroSnr;
        boolean thresholding;
        double dynamicThresholdingRatio = 0.995;
        double sampleMaxValue = 1.0;
        // DPM-Solver++ / Euler
        int solverOrder = 2;
        SamplerOptions.SolverType solverType = SamplerOptions.SolverType.MIDPOINT;
        boolean lowerOrderFinal = true;
        boolean eulerAtFinal;
        boolean useKarrasSigmas;
        boolean finalSigmaZero = true;
        double lambdaMinClipped = Double.NEGATIVE_INFINITY;
        SamplerOptions.SigmaInterpolation interpolation = SamplerOptions.SigmaInterpolation.LINEAR;
        double sigmaMin = Double.NaN;
        double sigmaMax = Double.NaN;

        /** The diffusers {@code __init__} defaults of a class. */
        static Values defaults(String className) {
            Values v = new Values();
            v.className = className;
            switch (className) {
                case DDPM -> {
                    v.varianceType = VarianceType.FIXED_SMALL;
                    v.clipSample = true;
                    v.timestepSpacing = TimestepSpacing.LEADING;
                }
                case DDIM -> {
                    v.clipSample = true;
                    v.timestepSpacing = TimestepSpacing.LEADING;
                }
                case DPM_SOLVER_MULTISTEP, EULER_DISCRETE -> v.timestepSpacing = TimestepSpacing.LINSPACE;
                default -> throw new IllegalArgumentException(className);
            }
            return v;
        }

        Values copy() {
            try {
                Values c = (Values) clone();
                c.trainedBetas = trainedBetas == null ? null : trainedBetas.clone();
                return c;
            } catch (CloneNotSupportedException e) {
                throw new AssertionError(e);
            }
        }

        /** Cross-field checks; each message names the source, the field and the fix. */
        void validate(String source) {
            if (numTrainTimesteps < 1) {
                throw new IllegalArgumentException(source + ": num_train_timesteps must be ≥ 1, got " + numTrainTimesteps);
            }
            if (trainedBetas != null && trainedBetas.length != numTrainTimesteps) {
                throw new IllegalArgumentException(source + ": trained_betas has " + trainedBetas.length
                        + " values but num_train_timesteps is " + numTrainTimesteps + "; make them agree");
            }
            try {
                NoiseSchedule.fromBetas(trainedBetas != null ? trainedBetas
                        : betaSchedule.betas(numTrainTimesteps, betaStart, betaEnd));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": " + (trainedBetas != null ? "trained_betas"
                        : "beta_start/beta_end (" + betaStart + ", " + betaEnd + ")") + " give an invalid schedule: "
                        + e.getMessage(), e);
            }
            if (!(clipSampleRange > 0)) {
                throw new IllegalArgumentException(source + ": clip_sample_range must be > 0, got " + clipSampleRange);
            }
            if (!(dynamicThresholdingRatio > 0 && dynamicThresholdingRatio <= 1)) {
                throw new IllegalArgumentException(source + ": dynamic_thresholding_ratio must be in (0, 1], got "
                        + dynamicThresholdingRatio);
            }
            if (!(sampleMaxValue >= 1)) {
                throw new IllegalArgumentException(source + ": sample_max_value must be ≥ 1, got " + sampleMaxValue);
            }
            if (stepsOffset < 0) {
                throw new IllegalArgumentException(source + ": steps_offset must be ≥ 0, got " + stepsOffset);
            }
            if (solverOrder < 1 || solverOrder > 3) {
                throw new IllegalArgumentException(source + ": solver_order must be 1, 2 or 3, got " + solverOrder);
            }
        }

        /** The keys diffusers writes for this class, with their values (null for Python None). */
        Map<String, Object> toMap() {
            Map<String, Object> m = new java.util.LinkedHashMap<>();
            m.put("_class_name", className);
            m.put("_diffusers_version", diffusersVersion);
            m.put("num_train_timesteps", numTrainTimesteps);
            m.put("beta_start", betaStart);
            m.put("beta_end", betaEnd);
            m.put("beta_schedule", betaSchedule.diffusersName());
            m.put("trained_betas", trainedBetas);
            m.put("prediction_type", predictionType.diffusersName());
            m.put("timestep_spacing", timestepSpacing.diffusersName());
            m.put("steps_offset", stepsOffset);
            m.put("rescale_betas_zero_snr", rescaleBetasZeroSnr);
            boolean ddpmLike = className.equals(DDPM) || className.equals(DDIM);
            boolean dpm = className.equals(DPM_SOLVER_MULTISTEP);
            boolean euler = className.equals(EULER_DISCRETE);
            if (ddpmLike) {
                m.put("clip_sample", clipSample);
                m.put("clip_sample_range", clipSampleRange);
            }
            if (ddpmLike || dpm) {
                m.put("thresholding", thresholding);
                m.put("dynamic_thresholding_ratio", dynamicThresholdingRatio);
                m.put("sample_max_value", sampleMaxValue);
            }
            if (className.equals(DDPM) || dpm) {
                m.put("variance_type", varianceType == null ? null : varianceType.diffusersName());
            }
            if (className.equals(DDIM)) {
                m.put("set_alpha_to_one", setAlphaToOne);
            }
            if (dpm || euler) {
                m.put("use_karras_sigmas", useKarrasSigmas);
                m.put("use_exponential_sigmas", false);
                m.put("use_beta_sigmas", false);
                m.put("final_sigmas_type", finalSigmaZero ? "zero" : "sigma_min");
            }
            if (dpm) {
                m.put("algorithm_type", "dpmsolver++");
                m.put("solver_order", solverOrder);
                m.put("solver_type", solverType.name().toLowerCase(Locale.ROOT));
                m.put("lower_order_final", lowerOrderFinal);
                m.put("euler_at_final", eulerAtFinal);
                m.put("lambda_min_clipped", lambdaMinClipped);
                m.put("use_lu_lambdas", false);
            }
            if (euler) {
                m.put("interpolation_type", interpolation == SamplerOptions.SigmaInterpolation.LINEAR ? "linear" : "log_linear");
                m.put("sigma_min", Double.isNaN(sigmaMin) ? null : sigmaMin);
                m.put("sigma_max", Double.isNaN(sigmaMax) ? null : sigmaMax);
                m.put("timestep_type", "discrete");
            }
            return m;
        }
    }

    /** Just enough of Python's {@code json.dumps(indent=2)} to write configs byte for byte as diffusers does. */
    static final class PythonJson {
        private PythonJson() {}

        static void value(StringBuilder b, Object x, String indent) {
            if (x == null) {
                b.append("null");
            } else if (x instanceof Boolean bool) {
                b.append(bool ? "true" : "false");
            } else if (x instanceof Integer i) {
                b.append(i);
            } else if (x instanceof Double d) {
                b.append(number(d));
            } else if (x instanceof String s) {
                b.append(string(s));
            } else if (x instanceof double[] arr) {
                if (arr.length == 0) {
                    b.append("[]");
                    return;
                }
                b.append("[\n");
                for (int i = 0; i < arr.length; i++) {
                    b.append(indent).append("  ").append(number(arr[i])).append(i + 1 < arr.length ? ",\n" : "\n");
                }
                b.append(indent).append(']');
            } else {
                throw new IllegalArgumentException("cannot write " + x.getClass());
            }
        }

        /** Python's {@code repr(float)}: shortest round-trip digits, exponent form below 1e-4 or from 1e16. */
        static String number(double d) {
            if (Double.isNaN(d)) {
                return "NaN";
            }
            if (Double.isInfinite(d)) {
                return d > 0 ? "Infinity" : "-Infinity";
            }
            if (d == 0) {
                return (1 / d < 0) ? "-0.0" : "0.0";
            }
            java.math.BigDecimal bd = new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros();
            double a = Math.abs(d);
            if (a >= 1e-4 && a < 1e16) {
                String s = bd.toPlainString();
                return s.contains(".") ? s : s + ".0";
            }
            // d.ddde±XX with at least two exponent digits, as Python writes it
            String digits = bd.unscaledValue().abs().toString();
            int exponent = digits.length() - 1 - bd.scale();
            String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
            return (d < 0 ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+")
                    + String.format(Locale.ROOT, "%02d", Math.abs(exponent));
        }

        static String string(String s) {
            return new JsonPrimitive(s).toString();
        }
    }
}
