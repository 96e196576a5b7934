package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * Euler's method on the probability-flow ODE in the σ-parameterisation of Karras et al. 2022
 * (their Algorithm 2 with S_churn = 0 and no second-order correction; diffusers'
 * EulerDiscreteScheduler with {@code s_churn = 0}, k-diffusion's {@code sample_euler}).
 *
 * <p>With x̃ = x_t/√ᾱ_t and σ = √((1−ᾱ_t)/ᾱ_t), the DDPM marginal is x̃ = x₀ + σ ε, and the
 * probability-flow ODE (Eq. 13 of Song et al. 2021) becomes dx̃/dσ = (x̃ − D(x̃, σ))/σ = ε̂
 * (Eq. 4 of Karras et al. with s(t) = 1, σ(t) = t). The network, trained on x_t, sees
 * x̃/√(σ²+1) at the (possibly fractional) timestep of σ. One step: x̃ ← x̃ + ε̂ (σ_{i+1} − σ_i).
 * The last step, to σ = 0 (unless the grid ends at σ(0)), returns the x₀ estimate x̃ − σ ε̂. The
 * grid is {@link Sigmas#euler}; the listener gets x̃ after each step and that step's x̂₀ = x̃ − σ ε̂.
 *
 * <p>With {@code sChurn} &gt; 0 this is the stochastic sampler of Karras et al. (Algorithm 2, as
 * k-diffusion's {@code sample_euler}): for σ_i in [S_tmin, S_tmax], γ = min(S_churn/n, √2 − 1), the
 * noise level is first raised to σ̂ = σ_i(1+γ) by adding S_noise·√(σ̂² − σ_i²)·z (noise draw i) and
 * the network is called at σ̂ (at the timestep {@link Sigmas#timestepOf} gives it; diffusers instead
 * calls it at t_i and only uses σ̂ in the update).
 */
public final class Euler extends SigmaGridSampler {
    private final Churn churn;

    /** Deterministic Euler over a given σ-grid (timesteps of the network and σ's ending in 0). */
    public Euler(Sigmas grid) {
        this(grid, Churn.NONE);
    }

    /** Euler over a given σ-grid, with churn (Algorithm 2 of Karras et al. 2022). */
    public Euler(Sigmas grid, Churn churn) {
        super(grid, State.VARIANCE_EXPLODING);
        this.churn = churn;
    }

    /**
     * Euler over diffusers' EulerDiscreteScheduler grid for this schedule ({@link Sigmas#euler(NoiseSchedule,
     * SamplerOptions)}), with the options' churn (S_churn, S_tmin, S_tmax, S_noise).
     */
    public Euler(NoiseSchedule schedule, SamplerOptions options) {
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
                NDArray epsilon = epsilon(denoiser, x, sigma, t);
                NDArray next = x.add(epsilon.mul(grid.sigma(i + 1) - sigma));
                next = hook.after(i, next);
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

    @Override
    public String name() {
        return "euler";
    }

    /**
     * The "churn" of Karras et al. 2022, Algorithm 2: before an Euler or Heun step at σ_i ∈ [S_tmin,
     * S_tmax], fresh noise raises the level to σ̂ = σ_i(1+γ), γ = min(S_churn/n, √2 − 1), by adding
     * S_noise·√(σ̂² − σ_i²)·z. S_churn = 0 is the deterministic ODE solver.
     *
     * @param sChurn S_churn ≥ 0, the total amount of churn over n steps
     * @param sTmin lower end of the σ range that churns
     * @param sTmax upper end of the σ range that churns
     * @param sNoise S_noise, the scale of the added noise (slightly above 1 compensates for detail loss)
     */
    public record Churn(double sChurn, double sTmin, double sTmax, double sNoise) {

        /** No churn: the deterministic sampler. */
        public static final Churn NONE = new Churn(0, 0, Double.POSITIVE_INFINITY, 1);

        public Churn {
            if (!(sChurn >= 0) || !(sTmin >= 0) || !(sTmax >= sTmin) || !(sNoise >= 0)) {
                throw new IllegalArgumentException("churn needs s_churn >= 0, 0 <= s_tmin <= s_tmax and s_noise >= 0, got "
                        + sChurn + ", " + sTmin + ", " + sTmax + ", " + sNoise);
            }
        }

        /** The churn settings of {@code options}. */
        public static Churn of(SamplerOptions options) {
            return new Churn(options.sChurn(), options.sTmin(), options.sTmax(), options.sNoise());
        }

        /** γ_i for a step at σ_i of n. */
        double gamma(double sigma, int n) {
            return sChurn > 0 && sTmin <= sigma && sigma <= sTmax ? Math.min(sChurn / n, Math.sqrt(2) - 1) : 0;
        }

        /** x̃ + S_noise √(σ̂² − σ²) z with noise draw {@code index}, in x's manager and dtype. */
        NDArray addNoise(NDArray x, double sigma, double sigmaHat, NoiseSource noise, long index) {
            NDArray z = noise.normal(x.getManager(), x.getShape(), index).toType(x.getDataType(), false);
            return x.add(z.mul(sNoise * Math.sqrt(sigmaHat * sigmaHat - sigma * sigma)));
        }
    }
}
