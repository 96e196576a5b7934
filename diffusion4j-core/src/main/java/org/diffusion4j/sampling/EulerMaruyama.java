package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * Euler–Maruyama on the reverse-time VP-SDE (Song et al. 2021, Eq. 6 with the VP-SDE of Eq. 11):
 * dx = [−½β(τ)x − β(τ)∇ₓ log p_τ(x)] dτ + √β(τ) dw̄, integrated from τ = 1 down to τ = 0, with the
 * score ∇ₓ log p_τ(x) = −ε̂(x, t)/√(1−ᾱ_t) (Eq. 11 of Ho et al. 2020 read as a score estimate).
 *
 * <p>Continuous-time conventions: the training timestep t ∈ {0..T−1} is the end of the interval
 * ((t)/T, (t+1)/T], on which β(τ) = T·β_t (piecewise constant, so that ∫β dτ over one training step is
 * β_t and the VP-SDE marginals are those of the discrete chain to first order in β); the data sit at
 * τ = 0, i.e. "timestep −1". A step from timestep t to the next grid timestep t' &lt; t (t' = −1 after
 * the last) spans Δτ = (t − t')/T, so with b = β(τ)Δτ = β_t (t − t'), evaluated at the start of the
 * step as Euler–Maruyama does:
 * x ← x + (½x + ∇log p_t(x)) b + √b z,  z ~ N(0, I).
 * The last step adds no noise (the "denoise" option of Song et al.'s code), so the output is the
 * mean of the last transition. Timesteps come from the options' {@code TimestepSpacing}; with the full T
 * steps b = β_t. One network evaluation and one noise draw (index = step) per step.
 */
public final class EulerMaruyama implements Sampler {

    private final NoiseSchedule schedule;
    private final int[] timesteps;

    /** Euler–Maruyama over the given timesteps (sampling order, strictly decreasing, in [0, T−1]). */
    public EulerMaruyama(NoiseSchedule schedule, int[] timesteps) {
        this.schedule = schedule;
        this.timesteps = checkTimesteps(schedule, timesteps);
    }

    /** Euler–Maruyama over the options' steps, spacing and steps_offset. */
    public EulerMaruyama(NoiseSchedule schedule, SamplerOptions options) {
        this(schedule, SamplingMath.timesteps(schedule, options));
    }

    @Override
    public NDArray sample(Denoiser denoiser, NDArray xT, NoiseSource noise, SamplingListener listener) {
        NDManager manager = xT.getManager();
        PredictionType type = denoiser.predictionType();
        int n = timesteps.length;
        NDArray x = xT.duplicate();
        for (int k = 0; k < n; k++) {
            try (NDManager sub = manager.newSubManager()) {
                x.attach(sub);
                int t = timesteps[k];
                int tNext = k + 1 < n ? timesteps[k + 1] : -1;
                double alphaCumprod = schedule.alphaCumprod(t);
                double b = schedule.beta(t) * (t - tNext); // β(τ) Δτ
                NDArray out = denoiser.predict(x, t);
                NDArray epsilon = type.predictedEpsilon(out, x, alphaCumprod);
                NDArray score = epsilon.div(-Math.sqrt(1 - alphaCumprod));
                NDArray next = x.add(x.mul(0.5 * b).add(score.mul(b)));
                if (k + 1 < n) {
                    next = next.add(noise.normal(sub, x.getShape(), k).toType(x.getDataType(), false).mul(Math.sqrt(b)));
                }
                next.attach(manager);
                listener.onStep(k, n, t, next, type.predictedX0(out, x, alphaCumprod));
                x = next;
            }
        }
        return x;
    }

    static int[] checkTimesteps(NoiseSchedule schedule, int[] timesteps) {
        if (timesteps.length == 0) {
            throw new IllegalArgumentException("a sampler needs at least one timestep");
        }
        for (int k = 0; k < timesteps.length; k++) {
            int t = timesteps[k];
            if (t < 0 || t >= schedule.numTimesteps() || (k > 0 && t >= timesteps[k - 1])) {
                throw new IllegalArgumentException("timesteps must decrease strictly within [0, "
                        + (schedule.numTimesteps() - 1) + "]; got " + t + " at position " + k
                        + " (check steps_offset and the number of steps)");
            }
        }
        return timesteps.clone();
    }

    /** The timesteps of the grid, in sampling order. */
    public int[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public int evaluations() {
        return timesteps.length;
    }

    @Override
    public String name() {
        return "euler-maruyama";
    }
}
