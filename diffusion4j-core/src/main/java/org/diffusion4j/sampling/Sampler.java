package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;

/**
 * A reverse-process sampler: a short, stateless loop from x_T ~ N(0, I) to x₀ over
 * (denoiser, x, schedule, listener), in the style of k-diffusion. Implementations are immutable
 * and thread-safe; each runs every step in its own scoped NDManager.
 */
public interface Sampler {

    /**
     * Generates samples from standard-normal {@code xT} (the sampler scales it by its initial
     * noise level itself, e.g. diffusers' {@code init_noise_sigma}). The result belongs to
     * {@code xT}'s manager.
     */
    NDArray sample(Denoiser denoiser, NDArray xT, NoiseSource noise, SamplingListener listener);

    /**
     * Whether the sampler can start part-way, from a noised image ({@link #noised}, {@link #sampleFrom}) — what
     * SDEdit and inpainting need. The samplers that walk a timestep or σ sequence can; the SDE/Langevin ones
     * (whose chains are not tied to a deterministic sequence of states) cannot.
     */
    default boolean edits() {
        return false;
    }

    /** The loop steps n of a full run; {@link #noised} and {@link #sampleFrom} count in these. */
    default int steps() {
        throw new UnsupportedOperationException(name() + " does not expose its steps");
    }

    /**
     * The state this sampler holds before loop step {@code step} (0 ≤ step ≤ n) for the image {@code x0} and
     * the standard normal {@code epsilon}, as diffusers' {@code scheduler.add_noise(x0, ε, timesteps[step])}:
     * √ᾱ_t x₀ + √(1−ᾱ_t) ε for the DDPM/DDIM samplers (q(x_t | x₀), Eq. 4 of Ho et al. 2020), x₀ + σ ε for the
     * σ-grid samplers; step n (the end) gives x₀ itself.
     */
    default NDArray noised(NDArray x0, NDArray epsilon, int step) {
        throw new UnsupportedOperationException(name() + " cannot start from a noised image");
    }

    /**
     * Runs loop steps {@code from} … n−1 from the state {@code x} (as {@link #noised} makes it), applying
     * {@code hook} to the state after every step. {@code sampleFrom(0, d, noised-x_T, …, NONE)} is {@link #sample}.
     * The result belongs to {@code x}'s manager.
     */
    default NDArray sampleFrom(int from, Denoiser denoiser, NDArray x, NoiseSource noise, SamplingListener listener, StepHook hook) {
        throw new UnsupportedOperationException(name() + " cannot start from a noised image");
    }

    /** Network evaluations this sampler makes per image (the cost axis of quality-vs-cost plots). */
    int evaluations();

    /** The name it is selected by, e.g. {@code ddpm}, {@code ddim}, {@code dpm-solver++}. */
    String name();
}
