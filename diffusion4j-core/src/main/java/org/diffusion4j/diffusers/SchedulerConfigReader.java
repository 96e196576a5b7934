package org.diffusion4j.diffusers;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.io.JsonFields;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.schedule.BetaSchedule;
import org.diffusion4j.schedule.TimestepSpacing;

/** Turns the JSON object of a {@code scheduler_config.json} into a validated {@link SchedulerConfig}. */
final class SchedulerConfigReader {

    private static final Set<String> CLASSES = Set.of(SchedulerConfig.DDPM, SchedulerConfig.DDIM,
            SchedulerConfig.DPM_SOLVER_MULTISTEP, SchedulerConfig.EULER_DISCRETE);

    private final JsonFields f;
    private final JsonObject o;
    private final String source;

    private SchedulerConfigReader(JsonFields f) {
        this.f = f;
        this.o = f.json();
        this.source = f.source();
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

    static SchedulerConfig read(JsonFields fields) {
        return new SchedulerConfigReader(fields).read();
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
        return f.error(key, problem, fix);
    }

    private boolean isNull(String key) {
        return f.isNull(key);
    }

    private String string(String key) {
        return f.string(key, null);
    }

    private boolean bool(String key) {
        return f.bool(key, false);
    }

    private double number(String key) {
        return f.number(key, Double.NaN);
    }

    private int integer(String key) {
        return f.integer(key, 0);
    }

    private double[] numbers(String key) {
        return f.nullableNumbers(key, "null or a list of numbers [β_1, …, β_T]");
    }

    private <T> T named(String key, Function<String, T> parse) {
        return f.named(key, null, parse);
    }

    private void only(String key, String accepted, String why) {
        f.requireValue(key, accepted, why);
    }
}
