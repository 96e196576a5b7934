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

    /** Network evaluations this sampler makes per image (the cost axis of quality-vs-cost plots). */
    int evaluations();

    /** The name it is selected by, e.g. {@code ddpm}, {@code ddim}, {@code dpm-solver++}. */
    String name();
}
