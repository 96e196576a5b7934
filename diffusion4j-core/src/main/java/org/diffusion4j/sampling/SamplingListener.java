package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;

/** Progress of a sampling loop: called after each step with the current sample and x₀ estimate. */
@FunctionalInterface
public interface SamplingListener {

    /** A listener that ignores everything. */
    SamplingListener NONE = (step, total, t, x, predictedX0) -> {};

    /**
     * Step {@code step} (0-based) of {@code total} finished at timestep {@code t}. The arrays are
     * only valid during the call; copy what you keep.
     */
    void onStep(int step, int total, double t, NDArray x, NDArray predictedX0);
}
