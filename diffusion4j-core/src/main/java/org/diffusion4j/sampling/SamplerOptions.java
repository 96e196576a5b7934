package org.diffusion4j.sampling;

import java.util.Objects;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.schedule.TimestepSpacing;

/**
 * Every knob of every sampler, immutable, with the defaults documented per field. A sampler reads
 * the fields it understands and ignores the rest, so one options object can be handed to any entry
 * of {@link Samplers}. Build with {@link #builder()} (or {@link #toBuilder()}); a
 * {@code scheduler_config.json} gives its defaults through {@code diffusers.SchedulerConfig.samplerOptions(int)}.
 *
 * @param steps number of sampling steps n (network evaluations for first-order samplers). Default 50.
 * @param spacing how n timesteps are picked out of T (diffusers {@code timestep_spacing}). Default leading.
 * @param stepsOffset added to the leading timesteps (diffusers {@code steps_offset}; Stable Diffusion uses 1). Default 0.
 * @param clipSample clamp the x₀ estimate to [−clipSampleRange, clipSampleRange] each step (diffusers
 *     {@code clip_sample}). Default false; a diffusers DDPM/DDIM config turns it on.
 * @param clipSampleRange the clamp bound for {@code clipSample}. Default 1.
 * @param thresholding dynamic thresholding of x₀ (Saharia et al. 2022, Sec. 2.3; diffusers {@code thresholding}):
 *     s = the {@code dynamicThresholdingRatio} quantile of |x₀| per sample, clamped to [1, sampleMaxValue];
 *     x₀ ← clamp(x₀, −s, s)/s. Replaces {@code clipSample} when on. Default false.
 * @param dynamicThresholdingRatio the quantile of dynamic thresholding. Default 0.995.
 * @param sampleMaxValue the largest threshold s of dynamic thresholding. Default 1.
 * @param eta DDIM's η ∈ [0, 1] scaling σ_t (Eq. 16 of Song et al. 2021): 0 is deterministic DDIM, 1 is DDPM-like. Default 0.
 * @param varianceType DDPM's reverse variance, β̃_t or β_t (Sec. 3.2 of Ho et al. 2020); the learned types
 *     need the network's variance output and are refused by {@link Ddpm}. Default fixed_small.
 * @param setAlphaToOne DDIM's ᾱ after the last step: 1 (true) or ᾱ_0 (false) (diffusers {@code set_alpha_to_one}). Default true.
 * @param useClippedModelOutput DDIM: recompute ε from the clipped x₀ (diffusers {@code use_clipped_model_output}). Default false.
 * @param karrasSigmas solvers: use the noise levels of Karras et al. 2022, Eq. 5 (diffusers
 *     {@code use_karras_sigmas}). Default false.
 * @param rho ρ of the Karras noise levels. Default 7 (Karras et al. 2022).
 * @param sigmaMin smallest σ of the Karras levels; NaN means the schedule's own σ at t = 0. Default NaN.
 * @param sigmaMax largest σ of the Karras levels; NaN means the schedule's own σ at t = T−1. Default NaN.
 * @param interpolation how the Euler samplers map σ to a (fractional) timestep (diffusers {@code interpolation_type}). Default linear.
 * @param finalSigmaZero solvers: the last σ is 0 (true) or the schedule's σ_min (false) (diffusers
 *     {@code final_sigmas_type} zero / sigma_min). Default true.
 * @param solverOrder DPM-Solver++ order, 1–3 (diffusers {@code solver_order}). Default 2.
 * @param solverType DPM-Solver++ second-order update form (diffusers {@code solver_type}). Default midpoint.
 * @param lowerOrderFinal DPM-Solver++: drop to first order on the last steps when n &lt; 15 (diffusers
 *     {@code lower_order_final}). Default true.
 * @param eulerAtFinal DPM-Solver++: use a first-order step at the very end (diffusers {@code euler_at_final}). Default false.
 * @param lambdaMinClipped DPM-Solver++: clip λ(t) = log(α_t/σ_t) from below (diffusers {@code lambda_min_clipped}). Default −∞ (off).
 * @param sChurn stochastic Euler/Heun churn (Karras et al. 2022, Algorithm 2, S_churn). Default 0 (deterministic).
 * @param sTmin lower σ bound of churn (S_tmin). Default 0.
 * @param sTmax upper σ bound of churn (S_tmax). Default +∞.
 * @param sNoise noise inflation of churn (S_noise). Default 1.
 * @param snr predictor–corrector: the signal-to-noise ratio r that sets the Langevin step size
 *     (Song et al. 2021, Algorithm 5). Default 0.16.
 * @param correctorSteps predictor–corrector / Langevin: corrector steps per noise level (M). Default 1.
 */
public record SamplerOptions(
        int steps,
        TimestepSpacing spacing,
        int stepsOffset,
        boolean clipSample,
        double clipSampleRange,
        boolean thresholding,
        double dynamicThresholdingRatio,
        double sampleMaxValue,
        double eta,
        VarianceType varianceType,
        boolean setAlphaToOne,
        boolean useClippedModelOutput,
        boolean karrasSigmas,
        double rho,
        double sigmaMin,
        double sigmaMax,
        SigmaInterpolation interpolation,
        boolean finalSigmaZero,
        int solverOrder,
        SolverType solverType,
        boolean lowerOrderFinal,
        boolean eulerAtFinal,
        double lambdaMinClipped,
        double sChurn,
        double sTmin,
        double sTmax,
        double sNoise,
        double snr,
        int correctorSteps) {

    /** How σ is mapped back to a fractional timestep (diffusers {@code interpolation_type}). */
    public enum SigmaInterpolation {
        /** Linear in σ between the training levels (diffusers {@code linear}). */
        LINEAR,
        /** Linear in log σ (diffusers {@code log_linear}). */
        LOG_LINEAR
    }

    /** The second-order DPM-Solver++ update (diffusers {@code solver_type}). */
    public enum SolverType {
        MIDPOINT,
        HEUN
    }

    public SamplerOptions {
        Objects.requireNonNull(spacing, "spacing");
        Objects.requireNonNull(varianceType, "varianceType");
        Objects.requireNonNull(interpolation, "interpolation");
        Objects.requireNonNull(solverType, "solverType");
        require(steps >= 1, "steps must be at least 1, got " + steps);
        require(stepsOffset >= 0, "stepsOffset must be ≥ 0, got " + stepsOffset);
        require(clipSampleRange > 0, "clipSampleRange must be > 0, got " + clipSampleRange);
        require(dynamicThresholdingRatio > 0 && dynamicThresholdingRatio <= 1,
                "dynamicThresholdingRatio must be in (0, 1], got " + dynamicThresholdingRatio);
        require(sampleMaxValue >= 1, "sampleMaxValue must be ≥ 1, got " + sampleMaxValue);
        require(eta >= 0 && eta <= 1, "eta must be in [0, 1] (Song et al. 2021, Eq. 16), got " + eta);
        require(rho > 0, "rho must be > 0, got " + rho);
        require(Double.isNaN(sigmaMin) || sigmaMin >= 0, "sigmaMin must be ≥ 0 or NaN, got " + sigmaMin);
        require(Double.isNaN(sigmaMax) || sigmaMax > 0, "sigmaMax must be > 0 or NaN, got " + sigmaMax);
        require(solverOrder >= 1 && solverOrder <= 3, "solverOrder must be 1, 2 or 3, got " + solverOrder);
        require(!Double.isNaN(lambdaMinClipped), "lambdaMinClipped must not be NaN");
        require(sChurn >= 0, "sChurn must be ≥ 0, got " + sChurn);
        require(sTmin >= 0 && sTmax >= sTmin, "need 0 ≤ sTmin ≤ sTmax, got " + sTmin + ", " + sTmax);
        require(sNoise >= 0, "sNoise must be ≥ 0, got " + sNoise);
        require(snr > 0, "snr must be > 0, got " + snr);
        require(correctorSteps >= 0, "correctorSteps must be ≥ 0, got " + correctorSteps);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** All defaults (50 leading steps, no clipping, η = 0, fixed_small, …). */
    public static SamplerOptions defaults() {
        return builder().build();
    }

    /** The defaults with {@code steps} steps. */
    public static SamplerOptions ofSteps(int steps) {
        return builder().steps(steps).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding these values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.steps = steps;
        b.spacing = spacing;
        b.stepsOffset = stepsOffset;
        b.clipSample = clipSample;
        b.clipSampleRange = clipSampleRange;
        b.thresholding = thresholding;
        b.dynamicThresholdingRatio = dynamicThresholdingRatio;
        b.sampleMaxValue = sampleMaxValue;
        b.eta = eta;
        b.varianceType = varianceType;
        b.setAlphaToOne = setAlphaToOne;
        b.useClippedModelOutput = useClippedModelOutput;
        b.karrasSigmas = karrasSigmas;
        b.rho = rho;
        b.sigmaMin = sigmaMin;
        b.sigmaMax = sigmaMax;
        b.interpolation = interpolation;
        b.finalSigmaZero = finalSigmaZero;
        b.solverOrder = solverOrder;
        b.solverType = solverType;
        b.lowerOrderFinal = lowerOrderFinal;
        b.eulerAtFinal = eulerAtFinal;
        b.lambdaMinClipped = lambdaMinClipped;
        b.sChurn = sChurn;
        b.sTmin = sTmin;
        b.sTmax = sTmax;
        b.sNoise = sNoise;
        b.snr = snr;
        b.correctorSteps = correctorSteps;
        return b;
    }

    /** Mutable builder; {@link #build()} validates. Defaults as documented on {@link SamplerOptions}. */
    public static final class Builder {
        private int steps = 50;
        private TimestepSpacing spacing = TimestepSpacing.LEADING;
        private int stepsOffset = 0;
        private boolean clipSample = false;
        private double clipSampleRange = 1;
        private boolean thresholding = false;
        private double dynamicThresholdingRatio = 0.995;
        private double sampleMaxValue = 1;
        private double eta = 0;
        private VarianceType varianceType = VarianceType.FIXED_SMALL;
        private boolean setAlphaToOne = true;
        private boolean useClippedModelOutput = false;
        private boolean karrasSigmas = false;
        private double rho = 7;
        private double sigmaMin = Double.NaN;
        private double sigmaMax = Double.NaN;
        private SigmaInterpolation interpolation = SigmaInterpolation.LINEAR;
        private boolean finalSigmaZero = true;
        private int solverOrder = 2;
        private SolverType solverType = SolverType.MIDPOINT;
        private boolean lowerOrderFinal = true;
        private boolean eulerAtFinal = false;
        private double lambdaMinClipped = Double.NEGATIVE_INFINITY;
        private double sChurn = 0;
        private double sTmin = 0;
        private double sTmax = Double.POSITIVE_INFINITY;
        private double sNoise = 1;
        private double snr = 0.16;
        private int correctorSteps = 1;

        private Builder() {}

        public Builder steps(int v) { steps = v; return this; }
        public Builder spacing(TimestepSpacing v) { spacing = v; return this; }
        public Builder stepsOffset(int v) { stepsOffset = v; return this; }
        public Builder clipSample(boolean v) { clipSample = v; return this; }
        public Builder clipSampleRange(double v) { clipSampleRange = v; return this; }
        public Builder thresholding(boolean v) { thresholding = v; return this; }
        public Builder dynamicThresholdingRatio(double v) { dynamicThresholdingRatio = v; return this; }
        public Builder sampleMaxValue(double v) { sampleMaxValue = v; return this; }
        public Builder eta(double v) { eta = v; return this; }
        public Builder varianceType(VarianceType v) { varianceType = v; return this; }
        public Builder setAlphaToOne(boolean v) { setAlphaToOne = v; return this; }
        public Builder useClippedModelOutput(boolean v) { useClippedModelOutput = v; return this; }
        public Builder karrasSigmas(boolean v) { karrasSigmas = v; return this; }
        public Builder rho(double v) { rho = v; return this; }
        public Builder sigmaMin(double v) { sigmaMin = v; return this; }
        public Builder sigmaMax(double v) { sigmaMax = v; return this; }
        public Builder interpolation(SigmaInterpolation v) { interpolation = v; return this; }
        public Builder finalSigmaZero(boolean v) { finalSigmaZero = v; return this; }
        public Builder solverOrder(int v) { solverOrder = v; return this; }
        public Builder solverType(SolverType v) { solverType = v; return this; }
        public Builder lowerOrderFinal(boolean v) { lowerOrderFinal = v; return this; }
        public Builder eulerAtFinal(boolean v) { eulerAtFinal = v; return this; }
        public Builder lambdaMinClipped(double v) { lambdaMinClipped = v; return this; }
        public Builder sChurn(double v) { sChurn = v; return this; }
        public Builder sTmin(double v) { sTmin = v; return this; }
        public Builder sTmax(double v) { sTmax = v; return this; }
        public Builder sNoise(double v) { sNoise = v; return this; }
        public Builder snr(double v) { snr = v; return this; }
        public Builder correctorSteps(int v) { correctorSteps = v; return this; }

        public SamplerOptions build() {
            return new SamplerOptions(steps, spacing, stepsOffset, clipSample, clipSampleRange, thresholding,
                    dynamicThresholdingRatio, sampleMaxValue, eta, varianceType, setAlphaToOne, useClippedModelOutput,
                    karrasSigmas, rho, sigmaMin, sigmaMax, interpolation, finalSigmaZero, solverOrder, solverType,
                    lowerOrderFinal, eulerAtFinal, lambdaMinClipped, sChurn, sTmin, sTmax, sNoise, snr, correctorSteps);
        }
    }
}
