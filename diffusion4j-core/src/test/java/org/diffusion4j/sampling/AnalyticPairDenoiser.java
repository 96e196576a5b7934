package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * The exact ε-denoiser for two-pixel images ([N, 1, 1, 2]) whose pixels are jointly Gaussian, x₀ ~ N(0, Σ) with
 * Σ = [[1, ρ], [ρ, 1]]: x_t ~ N(0, ᾱΣ + (1−ᾱ)I) = N(0, [[1, b], [b, 1]]) with b = ᾱρ, so
 * E[ε | x_t] = √(1−ᾱ) [[1, b], [b, 1]]⁻¹ x_t = √(1−ᾱ)/(1−b²) · (x₁ − b x₂, x₂ − b x₁). Inpainting pixel 2 given
 * pixel 1 = c must sample the conditional N(ρc, 1−ρ²) — a closed form for inpainting methods.
 */
final class AnalyticPairDenoiser implements Denoiser {

    private final AnalyticGaussianDenoiser levels;
    private final double rho;

    AnalyticPairDenoiser(NoiseSchedule schedule, double rho) {
        this.levels = new AnalyticGaussianDenoiser(schedule, 0, 1, PredictionType.EPSILON);
        this.rho = rho;
    }

    @Override
    public NDArray predict(NDArray x, double t) {
        double a = levels.alphaCumprodAt(t);
        double b = a * rho;
        double k = Math.sqrt(1 - a) / (1 - b * b);
        NDArray x1 = x.get(new NDIndex("..., 0:1"));
        NDArray x2 = x.get(new NDIndex("..., 1:2"));
        return x1.sub(x2.mul((float) b)).concat(x2.sub(x1.mul((float) b)), -1).mul((float) k);
    }

    @Override
    public PredictionType predictionType() {
        return PredictionType.EPSILON;
    }
}
