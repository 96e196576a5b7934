package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;

/**
 * Watches a {@link DiffusionPipeline} run: the images come in batches, and each batch goes through
 * the sampler's steps. A progress bar, a trajectory GIF and a web page's live preview are listeners.
 * The arrays passed to {@link #step} belong to the run and are closed after the call.
 */
public interface SampleListener {

    /** Ignores everything. */
    SampleListener NONE = (batch, from, to, step, total, xt, x0) -> {};

    /** Called once before sampling {@code images} images in {@code batches} batches. */
    default void started(int images, int batches) {}

    /**
     * Called after step {@code step} (0-based) of {@code total} of batch {@code batch}, which holds
     * images [from, to): the sample x_t and the model's x₀ estimate (null for samplers without one).
     */
    void step(int batch, int from, int to, int step, int total, NDArray xt, NDArray x0);

    /** Called once when the run ends, also when it fails. */
    default void finished() {}
}
