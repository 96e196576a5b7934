package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.diffusion.PredictionType;

/**
 * A network conditioned on something per sample: class labels (an int64 {@code [N]} array), text embeddings
 * ({@code [N, L, D]}), … Whatever the condition is, its first axis is the batch. A null condition (the "∅" of
 * classifier-free guidance) is just another condition value, e.g. a reserved label id.
 */
public interface ConditionalDenoiser {

    /**
     * The raw model output for a batch x at timestep t under {@code condition} (same batch size, same manager
     * as x). The result belongs to x's manager.
     */
    NDArray predict(NDArray x, double t, NDArray condition);

    /** What {@link #predict} returns: ε, x₀ or v. */
    PredictionType predictionType();
}
