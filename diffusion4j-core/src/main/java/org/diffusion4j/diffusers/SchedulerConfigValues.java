package org.diffusion4j.diffusers;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.schedule.BetaSchedule;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;

/** All values, mutable while reading; frozen once wrapped in a {@link SchedulerConfig}. */
final class SchedulerConfigValues implements Cloneable {
    String className;
    String diffusersVersion = SchedulerConfig.DIFFUSERS_VERSION;
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
    static SchedulerConfigValues defaults(String className) {
        SchedulerConfigValues v = new SchedulerConfigValues();
        v.className = className;
        switch (className) {
            case SchedulerConfig.DDPM -> {
                v.varianceType = VarianceType.FIXED_SMALL;
                v.clipSample = true;
                v.timestepSpacing = TimestepSpacing.LEADING;
            }
            case SchedulerConfig.DDIM -> {
                v.clipSample = true;
                v.timestepSpacing = TimestepSpacing.LEADING;
            }
            case SchedulerConfig.DPM_SOLVER_MULTISTEP, SchedulerConfig.EULER_DISCRETE -> v.timestepSpacing = TimestepSpacing.LINSPACE;
            default -> throw new IllegalArgumentException(className);
        }
        return v;
    }

    SchedulerConfigValues copy() {
        try {
            SchedulerConfigValues c = (SchedulerConfigValues) clone();
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
        Map<String, Object> m = new LinkedHashMap<>();
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
        boolean ddpmLike = className.equals(SchedulerConfig.DDPM) || className.equals(SchedulerConfig.DDIM);
        boolean dpm = className.equals(SchedulerConfig.DPM_SOLVER_MULTISTEP);
        boolean euler = className.equals(SchedulerConfig.EULER_DISCRETE);
        if (ddpmLike) {
            m.put("clip_sample", clipSample);
            m.put("clip_sample_range", clipSampleRange);
        }
        if (ddpmLike || dpm) {
            m.put("thresholding", thresholding);
            m.put("dynamic_thresholding_ratio", dynamicThresholdingRatio);
            m.put("sample_max_value", sampleMaxValue);
        }
        if (className.equals(SchedulerConfig.DDPM) || dpm) {
            m.put("variance_type", varianceType == null ? null : varianceType.diffusersName());
        }
        if (className.equals(SchedulerConfig.DDIM)) {
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
