package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;

/**
 * Euler's method on the probability-flow ODE in the σ-parameterisation of Karras et al. 2022
 * (Algorithm 2 without churn; diffusers' EulerDiscreteScheduler with {@code s_churn = 0}).
 *
 * <p>With x̃ = x_t/√ᾱ_t and σ = √((1−ᾱ_t)/ᾱ_t), the DDPM marginal is x̃ = x₀ + σ ε, and the
 * probability-flow ODE (Eq. 13 of Song et al. 2021) becomes dx̃/dσ = (x̃ − D(x̃, σ))/σ = ε̂
 * (Eq. 4 of Karras et al. with s(t) = 1, σ(t) = t). The network, trained on x_t, sees
 * x̃/√(σ²+1) at the (possibly fractional) timestep of σ. One step: x̃ ← x̃ + ε̂ (σ_{i+1} − σ_i).
 * The last step, to σ = 0, returns the x₀ estimate x̃ − σ ε̂. The grid is {@link Sigmas#euler}.
 */
public final class Euler implements Sampler {

    private final Sigmas grid;

    /** Euler over a given σ-grid (timesteps of the network and σ's ending in 0). */
    public Euler(Sigmas grid) {
        this.grid = grid;
    }

    /** Euler over diffusers' EulerDiscreteScheduler grid for this schedule. */
    public Euler(NoiseSchedule schedule, int steps, TimestepSpacing spacing, int stepsOffset, boolean karras, double rho) {
        this(Sigmas.euler(schedule, steps, spacing, stepsOffset, karras, rho));
    }

    @Override
    public NDArray sample(Denoiser denoiser, NDArray xT, NoiseSource noise, SamplingListener listener) {
        NDManager manager = xT.getManager();
        int n = grid.steps();
        NDArray x = xT.mul(grid.initNoiseSigma());
        for (int i = 0; i < n; i++) {
            try (NDManager sub = manager.newSubManager()) {
                x.attach(sub);
                double sigma = grid.sigma(i);
                NDArray epsilon = epsilon(denoiser, x, sigma, grid.timestep(i));
                NDArray next = x.add(epsilon.mul(grid.sigma(i + 1) - sigma));
                next.attach(manager);
                listener.onStep(i, n, grid.timestep(i), next, x.sub(epsilon.mul(sigma)));
                x = next;
            }
        }
        return x;
    }

    /**
     * ε̂ = dx̃/dσ at (x̃, σ): the network sees x_t = x̃/√(σ²+1) at timestep t, where ᾱ = 1/(σ²+1);
     * its output, whatever it predicts, is converted to ε by {@link PredictionType#predictedEpsilon}.
     */
    static NDArray epsilon(Denoiser denoiser, NDArray xTilde, double sigma, double t) {
        double alphaCumprod = 1 / (sigma * sigma + 1);
        NDArray xt = xTilde.mul(Math.sqrt(alphaCumprod));
        NDArray out = denoiser.predict(xt, t);
        return denoiser.predictionType().predictedEpsilon(out, xt, alphaCumprod);
    }

    /** The grid this sampler steps over. */
    public Sigmas grid() {
        return grid;
    }

    @Override
    public int evaluations() {
        return grid.steps();
    }

    @Override
    public String name() {
        return "euler";
    }
}
