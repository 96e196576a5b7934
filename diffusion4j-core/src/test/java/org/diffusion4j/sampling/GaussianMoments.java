package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * Moments for the statistical sampler tests: the sample mean/variance of an array's elements, and the exact
 * moments of a reverse chain driven by {@link AnalyticGaussianDenoiser}. With that denoiser every step is
 * affine in x plus independent Gaussian noise, x' = A x + B + σ z, so from x_T ~ N(0, 1) the output is exactly
 * Gaussian with mean and variance given by the scalar recursion m' = A m + B, v' = A² v + σ². Comparing the
 * samples with these moments isolates implementation errors from the sampler's own discretisation error.
 */
final class GaussianMoments {

    private GaussianMoments() {}

    /** {mean, unbiased variance} of all elements, accumulated in double. */
    static double[] of(NDArray x) {
        float[] v = x.toFloatArray();
        double sum = 0;
        for (float f : v) {
            sum += f;
        }
        double mean = sum / v.length;
        double ss = 0;
        for (float f : v) {
            ss += (f - mean) * (f - mean);
        }
        return new double[] {mean, ss / (v.length - 1)};
    }

    /** Standard error of the sample mean of n draws of variance v. */
    static double seMean(double variance, long n) {
        return Math.sqrt(variance / n);
    }

    /** Standard error of the sample variance of n Gaussian draws of variance v: v √(2/(n−1)). */
    static double seVariance(double variance, long n) {
        return variance * Math.sqrt(2.0 / (n - 1));
    }

    /**
     * Exact output moments of ancestral sampling over all T steps (prev = t − 1), written with the schedule's
     * posterior coefficients (Eq. 7 of Ho et al. 2020): x' = c₁ E[x₀|x] + c₂ x + σ z, σ² = β̃_t or β_t, and
     * no noise at t = 0.
     */
    static double[] ddpmFullChain(NoiseSchedule schedule, double mu, double s, boolean fixedLarge) {
        double m = 0;
        double v = 1;
        for (int t = schedule.numTimesteps() - 1; t >= 0; t--) {
            double a = schedule.alphaCumprod(t);
            double d = a * s * s + 1 - a;
            double k0 = Math.sqrt(a) * s * s / d; // E[x₀|x] = μ + k0 (x − √a μ)
            double c1 = schedule.posteriorMeanCoef1(t);
            double c2 = schedule.posteriorMeanCoef2(t);
            double gain = c1 * k0 + c2;
            double offset = c1 * (mu - k0 * Math.sqrt(a) * mu);
            double var = t == 0 ? 0 : fixedLarge ? schedule.beta(t) : schedule.posteriorVariance(t);
            m = gain * m + offset;
            v = gain * gain * v + var;
        }
        return new double[] {m, v};
    }

    /**
     * Exact output moments of DDIM (Eq. 12 of Song et al. 2021, σ_t(η) of Eq. 16) over the given timesteps,
     * with ᾱ = 1 after the last one.
     */
    static double[] ddimChain(NoiseSchedule schedule, int[] timesteps, double eta, double mu, double s) {
        double m = 0;
        double v = 1;
        for (int i = 0; i < timesteps.length; i++) {
            double a = schedule.alphaCumprod(timesteps[i]);
            double ap = i + 1 < timesteps.length ? schedule.alphaCumprod(timesteps[i + 1]) : 1;
            double d = a * s * s + 1 - a;
            double k0 = Math.sqrt(a) * s * s / d; // E[x₀|x] = μ + k0 y, y = x − √a μ
            double ke = Math.sqrt(1 - a) / d; // E[ε|x] = ke y
            double sigma2 = eta * eta * (1 - ap) / (1 - a) * (1 - a / ap);
            double dir = Math.sqrt(1 - ap - sigma2);
            double gain = Math.sqrt(ap) * k0 + dir * ke;
            double offset = Math.sqrt(ap) * mu - gain * Math.sqrt(a) * mu;
            m = gain * m + offset;
            v = gain * gain * v + sigma2;
        }
        return new double[] {m, v};
    }
}
