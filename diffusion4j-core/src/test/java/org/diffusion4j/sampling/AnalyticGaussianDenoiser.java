package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import java.util.concurrent.atomic.AtomicLong;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * The exact denoiser for data x₀ ~ N(μ, s² I) under x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε (Eq. 4 of Ho et al. 2020).
 * x_t is Gaussian with mean √ᾱ μ and variance D = ᾱ s² + 1 − ᾱ, so the posterior means are linear:
 * <pre>
 *   E[ε | x_t]  = √(1−ᾱ) (x_t − √ᾱ μ) / D
 *   E[x₀ | x_t] = μ + √ᾱ s² (x_t − √ᾱ μ) / D
 *   E[v | x_t]  = √ᾱ E[ε | x_t] − √(1−ᾱ) E[x₀ | x_t]        (v = √ᾱ ε − √(1−ᾱ) x₀)
 * </pre>
 * A sampler driven by it must turn N(0, I) into samples with mean μ and variance s² (up to its
 * discretisation error), elementwise, so n scalars give n independent samples.
 *
 * <p>Fractional t (the Euler-type samplers) is mapped to a noise level by interpolating σ_t = √((1−ᾱ_t)/ᾱ_t)
 * between the neighbouring training timesteps — linearly in σ ({@link Interpolation#SIGMA}, diffusers' Euler
 * {@code interpolation_type="linear"}) or in log σ ({@link Interpolation#LOG_SIGMA}, as diffusers'
 * {@code _sigma_to_t} inverts the Karras levels) — and ᾱ = 1/(1 + σ²).
 */
public final class AnalyticGaussianDenoiser implements Denoiser {

    /** How a fractional timestep maps to σ. */
    public enum Interpolation {
        SIGMA,
        LOG_SIGMA
    }

    private final NoiseSchedule schedule;
    private final double mu;
    private final double s;
    private final PredictionType predictionType;
    private final Interpolation interpolation;
    private final AtomicLong calls = new AtomicLong();

    public AnalyticGaussianDenoiser(NoiseSchedule schedule, double mu, double s, PredictionType predictionType,
            Interpolation interpolation) {
        if (!(s > 0)) {
            throw new IllegalArgumentException("s must be > 0, got " + s);
        }
        this.schedule = schedule;
        this.mu = mu;
        this.s = s;
        this.predictionType = predictionType;
        this.interpolation = interpolation;
    }

    /** ε-, x₀- or v-prediction with σ-linear interpolation of fractional t. */
    public AnalyticGaussianDenoiser(NoiseSchedule schedule, double mu, double s, PredictionType predictionType) {
        this(schedule, mu, s, predictionType, Interpolation.SIGMA);
    }

    public double mu() {
        return mu;
    }

    public double s() {
        return s;
    }

    /** How many times {@link #predict} was called (network evaluations; one per batch). */
    public long calls() {
        return calls.get();
    }

    /** ᾱ at a possibly fractional timestep t ∈ [0, T−1]. */
    public double alphaCumprodAt(double t) {
        int last = schedule.numTimesteps() - 1;
        if (!(t >= 0 && t <= last)) {
            throw new IllegalArgumentException("timestep " + t + " outside [0, " + last + "]");
        }
        int lo = (int) Math.floor(t);
        if (lo == t) {
            return schedule.alphaCumprod(lo);
        }
        double w = t - lo;
        double sLo = schedule.sigma(lo);
        double sHi = schedule.sigma(lo + 1);
        double sigma = interpolation == Interpolation.SIGMA
                ? sLo + w * (sHi - sLo)
                : Math.exp(Math.log(sLo) + w * (Math.log(sHi) - Math.log(sLo)));
        return 1 / (1 + sigma * sigma);
    }

    @Override
    public NDArray predict(NDArray x, double t) {
        calls.incrementAndGet();
        double a = alphaCumprodAt(t);
        double d = a * s * s + 1 - a;
        NDArray centred = x.sub((float) (Math.sqrt(a) * mu));
        return switch (predictionType) {
            case EPSILON -> centred.mul((float) (Math.sqrt(1 - a) / d));
            case SAMPLE -> centred.mul((float) (Math.sqrt(a) * s * s / d)).add((float) mu);
            case V_PREDICTION -> centred.mul((float) (Math.sqrt(a) * Math.sqrt(1 - a) * (1 - s * s) / d))
                    .sub((float) (Math.sqrt(1 - a) * mu));
        };
    }

    @Override
    public PredictionType predictionType() {
        return predictionType;
    }
}
