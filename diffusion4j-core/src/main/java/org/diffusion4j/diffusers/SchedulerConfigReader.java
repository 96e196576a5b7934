package org.diffusion4j.diffusers;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.schedule.BetaSchedule;
import org.diffusion4j.schedule.TimestepSpacing;

/** Turns the JSON object of a {@code scheduler_config.json} into a validated {@link SchedulerConfig}. */
final class SchedulerConfigReader {

    private static final Set<String> CLASSES = Set.of(SchedulerConfig.DDPM, SchedulerConfig.DDIM,
            SchedulerConfig.DPM_SOLVER_MULTISTEP, SchedulerConfig.EULER_DISCRETE);

    private final JsonObject o;
    private final String source;

    private SchedulerConfigReader(JsonObject o, String source) {
        this.o = o;
        this.source = source;
    }

    static String checkClassName(String className, String source) {
        if (!CLASSES.contains(className)) {
            throw new IllegalArgumentException(source + ": field \"_class_name\" is \"" + className
                    + "\", which is not supported; use one of " + new java.util.TreeSet<>(CLASSES)
                    + " (the β-schedule fields are shared by diffusers' schedulers, so naming DDPMScheduler"
                    + " keeps the model's noise schedule)");
        }
        return className;
    }

    static SchedulerConfig read(JsonObject o, String source) {
        return new SchedulerConfigReader(o, source).read();
    }

    private SchedulerConfig read() {
        if (!o.has("_class_name")) {
            throw new IllegalArgumentException(source + ": field \"_class_name\" is missing; a diffusers scheduler"
                    + " config names its class, e.g. \"DDPMScheduler\"");
        }
        String cls = checkClassName(string("_class_name"), source);
        boolean ddpm = cls.equals(SchedulerConfig.DDPM);
        boolean ddim = cls.equals(SchedulerConfig.DDIM);
        boolean dpm = cls.equals(SchedulerConfig.DPM_SOLVER_MULTISTEP);
        boolean euler = cls.equals(SchedulerConfig.EULER_DISCRETE);
        SchedulerConfigValues v = SchedulerConfigValues.defaults(cls);
        List<String> ignored = new ArrayList<>();
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            String k = e.getKey();
            switch (k) {
                case "_class_name" -> { }
                case "_diffusers_version" -> v.diffusersVersion = string(k);
                case "num_train_timesteps" -> v.numTrainTimesteps = integer(k);
                case "beta_start" -> v.betaStart = number(k);
                case "beta_end" -> v.betaEnd = number(k);
                case "beta_schedule" -> v.betaSchedule = named(k, BetaSchedule::parse);
                case "trained_betas" -> v.trainedBetas = numbers(k);
                case "prediction_type" -> v.predictionType = named(k, PredictionType::parse);
                case "predict_epsilon" -> {
                    // diffusers < 0.10 wrote predict_epsilon instead of prediction_type
                    if (!o.has("prediction_type")) {
                        v.predictionType = bool(k) ? PredictionType.EPSILON : PredictionType.SAMPLE;
                    }
                }
                case "timestep_spacing" -> v.timestepSpacing = named(k, TimestepSpacing::parse);
                case "steps_offset" -> v.stepsOffset = integer(k);
                case "rescale_betas_zero_snr" -> v.rescaleBetasZeroSnr = bool(k);
                case "clip_sample" -> {
                    if (ddpm || ddim) v.clipSample = bool(k); else ignored.add(k);
                }
                case "clip_sample_range" -> {
                    if (ddpm || ddim) v.clipSampleRange = number(k); else ignored.add(k);
                }
                case "thresholding" -> {
                    if (euler) ignored.add(k); else v.thresholding = bool(k);
                }
                case "dynamic_thresholding_ratio" -> {
                    if (euler) ignored.add(k); else v.dynamicThresholdingRatio = number(k);
                }
                case "sample_max_value" -> {
                    if (euler) ignored.add(k); else v.sampleMaxValue = number(k);
                }
                case "variance_type" -> {
                    if (ddpm || dpm) v.varianceType = isNull(k) && dpm ? null : named(k, VarianceType::parse);
                    else ignored.add(k);
                }
                case "set_alpha_to_one" -> {
                    if (ddim) v.setAlphaToOne = bool(k); else ignored.add(k);
                }
                case "solver_order" -> v.solverOrder = integer(k);
                case "algorithm_type" -> only(k, "dpmsolver++", "this toolkit implements DPM-Solver++ only");
                case "solver_type" -> v.solverType = named(k, s -> switch (s) {
                    case "midpoint" -> SamplerOptions.SolverType.MIDPOINT;
                    case "heun" -> SamplerOptions.SolverType.HEUN;
                    default -> throw new IllegalArgumentException("use midpoint or heun");
                });
                case "lower_order_final" -> v.lowerOrderFinal = bool(k);
                case "euler_at_final" -> v.eulerAtFinal = bool(k);
                case "use_karras_sigmas" -> v.useKarrasSigmas = bool(k);
                case "use_exponential_sigmas", "use_beta_sigmas", "use_lu_lambdas" -> {
                    if (bool(k)) {
                        throw error(k, "is true, which is not supported", "set it to false (Karras sigmas are"
                                + " available through use_karras_sigmas)");
                    }
                }
                case "final_sigmas_type" -> v.finalSigmaZero = named(k, s -> switch (s) {
                    case "zero" -> true;
                    case "sigma_min" -> false;
                    default -> throw new IllegalArgumentException("use zero or sigma_min");
                });
                case "lambda_min_clipped" -> v.lambdaMinClipped = number(k);
                case "interpolation_type" -> v.interpolation = named(k, s -> switch (s) {
                    case "linear" -> SamplerOptions.SigmaInterpolation.LINEAR;
                    case "log_linear" -> SamplerOptions.SigmaInterpolation.LOG_LINEAR;
                    default -> throw new IllegalArgumentException("use linear or log_linear");
                });
                case "sigma_min" -> v.sigmaMin = isNull(k) ? Double.NaN : number(k);
                case "sigma_max" -> v.sigmaMax = isNull(k) ? Double.NaN : number(k);
                case "timestep_type" -> only(k, "discrete", "continuous timesteps (v-prediction EDM models) are not supported");
                default -> {
                    if (!k.startsWith("_")) {
                        ignored.add(k);
                    }
                }
            }
        }
        v.validate(source);
        return SchedulerConfig.of(v, ignored);
    }

    private IllegalArgumentException error(String key, String problem, String fix) {
        return new IllegalArgumentException(source + ": field \"" + key + "\" " + problem + "; " + fix);
    }

    private boolean isNull(String key) {
        return o.get(key).isJsonNull();
    }

    private JsonPrimitive primitive(String key, String expected) {
        JsonElement e = o.get(key);
        if (!e.isJsonPrimitive()) {
            throw error(key, "is " + e + ", not " + expected, "write " + expected);
        }
        return e.getAsJsonPrimitive();
    }

    private String string(String key) {
        JsonPrimitive p = primitive(key, "a string");
        if (!p.isString()) {
            throw error(key, "is " + p + ", not a string", "quote the value");
        }
        return p.getAsString();
    }

    private boolean bool(String key) {
        JsonPrimitive p = primitive(key, "true or false");
        if (!p.isBoolean()) {
            throw error(key, "is " + p + ", not a boolean", "write true or false");
        }
        return p.getAsBoolean();
    }

    /** A number; Python's unquoted Infinity, -Infinity and NaN (which a lenient reader sees as strings) too. */
    private double number(String key) {
        return number(key, primitive(key, "a number"));
    }

    private double number(String key, JsonPrimitive p) {
        if (p.isNumber()) {
            try {
                return p.getAsDouble();
            } catch (NumberFormatException e) {
                throw error(key, "is " + p + ", not a number", "write a decimal number");
            }
        }
        if (p.isString()) {
            String s = p.getAsString();
            if (s.equals("Infinity") || s.equals("-Infinity") || s.equals("NaN")) {
                return Double.parseDouble(s);
            }
        }
        throw error(key, "is " + p + ", not a number", "write a decimal number");
    }

    private int integer(String key) {
        double d = number(key);
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw error(key, "is " + o.get(key) + ", not an integer", "write a whole number");
        }
        return (int) d;
    }

    /** null, or an array of numbers (diffusers' trained_betas). */
    private double[] numbers(String key) {
        JsonElement e = o.get(key);
        if (e.isJsonNull()) {
            return null;
        }
        if (!e.isJsonArray()) {
            throw error(key, "is " + e + ", not a list of numbers", "write null or [β_1, …, β_T]");
        }
        JsonArray a = e.getAsJsonArray();
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement x = a.get(i);
            if (!x.isJsonPrimitive()) {
                throw error(key, "element " + i + " is " + x + ", not a number", "write null or [β_1, …, β_T]");
            }
            out[i] = number(key + "[" + i + "]", x.getAsJsonPrimitive());
        }
        return out;
    }

    /** A string value mapped through {@code parse}, whose IllegalArgumentException names the accepted values. */
    private <T> T named(String key, Function<String, T> parse) {
        String s = string(key);
        try {
            return parse.apply(s);
        } catch (IllegalArgumentException e) {
            throw error(key, "is \"" + s + "\", which is not supported", e.getMessage());
        }
    }

    private void only(String key, String accepted, String why) {
        String s = string(key);
        if (!s.equals(accepted)) {
            throw error(key, "is \"" + s + "\" but " + why, "use \"" + accepted + "\"");
        }
    }
}
