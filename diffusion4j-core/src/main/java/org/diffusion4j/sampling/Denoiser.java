package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.diffusion.PredictionType;

/**
 * The network's prediction at (x_t, t), whatever it was trained to predict. Samplers are handed a
 * denoiser; they never own a network. Conditioning (class labels, guidance) lives in the denoiser,
 * so every sampler supports it for free.
 */
public interface Denoiser {

    /**
     * The raw model output for a batch x at training timestep t ∈ [0, T−1]; t may be fractional
     * (the Euler/Heun samplers interpolate between training timesteps, as diffusers does).
     * The result belongs to {@code x}'s manager.
     */
    NDArray predict(NDArray x, double t);

    /** What {@link #predict} returns: ε, x₀ or v. */
    PredictionType predictionType();
}
