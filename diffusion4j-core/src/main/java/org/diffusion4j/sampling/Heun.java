package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.sampling.Euler.Churn;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * Heun's second-order method on the probability-flow ODE dx̃/dσ = ε̂ (Algorithm 1 of Karras et al.
 * 2022, deterministic; k-diffusion's {@code sample_heun} with {@code s_churn = 0}): an Euler
 * predictor x̃' = x̃ + ε̂(x̃, σ_i)(σ_{i+1} − σ_i), then the trapezoidal correction
 * x̃ ← x̃ + ½(ε̂(x̃, σ_i) + ε̂(x̃', σ_{i+1}))(σ_{i+1} − σ_i). The last step, to σ = 0, is a plain
 * Euler step (the ODE is singular there), so n steps cost 2n − 1 network evaluations (2n when the
 * grid ends at σ(0) instead of 0; the last correction then calls the network at that σ's timestep).
 * Same grid, conventions and optional churn (Algorithm 2 of Karras et al.) as {@link Euler}.
 */
public final class Heun extends SigmaGridSampler {
    private final Churn churn;

    /** Deterministic Heun over a given σ-grid (timesteps of the network and σ's). */
    public Heun(Sigmas grid) {
        this(grid, Churn.NONE);
    }

    /** Heun over a given σ-grid, with churn (Algorithm 2 of Karras et al. 2022). */
    public Heun(Sigmas grid, Churn churn) {
        super(grid, State.VARIANCE_EXPLODING);
        this.churn = churn;
    }

    /** Heun over the same grid and churn as {@link Euler#Euler(NoiseSchedule, SamplerOptions)}. */
    public Heun(NoiseSchedule schedule, SamplerOptions options) {
        this(Sigmas.euler(schedule, options), Churn.of(options));
    }

    @Override
    public NDArray sampleFrom(int from, Denoiser denoiser, NDArray start, NoiseSource noise, SamplingListener listener, StepHook hook) {
        NDManager manager = start.getManager();
        int n = grid.steps();
        NDArray x = start;
        for (int i = from; i < n; i++) {
            try (NDManager sub = manager.newSubManager()) {
                SamplingMath.enterStep(x, start, sub);
                double gamma = churn.gamma(grid.sigma(i), n);
                double sigma = grid.sigma(i) * (1 + gamma); // σ̂
                double t = grid.timestep(i);
                if (gamma > 0) {
                    x = churn.addNoise(x, grid.sigma(i), sigma, noise, i);
                    t = grid.timestepOf(sigma);
                }
                double sigmaNext = grid.sigma(i + 1);
                double dt = sigmaNext - sigma;
                NDArray d = Euler.epsilon(denoiser, x, sigma, t);
                NDArray next = x.add(d.mul(dt));
                if (sigmaNext > 0) { // to σ = 0 the last step stays Euler
                    double tNext = i + 1 < n ? grid.timestep(i + 1) : grid.timestepOf(sigmaNext);
                    NDArray dNext = Euler.epsilon(denoiser, next, sigmaNext, tNext);
                    next = x.add(d.add(dNext).mul(0.5 * dt));
                }
                next = hook.after(i, next);
                next.attach(manager);
                listener.onStep(i, n, grid.timestep(i), next, x.sub(d.mul(sigma)));
                x = next;
            }
        }
        return x;
    }

    @Override
    public int evaluations() {
        int n = grid.steps();
        return grid.sigma(n) > 0 ? 2 * n : 2 * n - 1;
    }

    @Override
    public String name() {
        return "heun";
    }
}
