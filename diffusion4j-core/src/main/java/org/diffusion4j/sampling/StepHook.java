package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;

/**
 * A change made to a sampler's state after each step — how inpainting ties the reverse process to a
 * known image ({@link MaskBlend}). Called inside the step's scoped manager; the returned array is the
 * new state (it may be {@code x} itself).
 */
@FunctionalInterface
public interface StepHook {

    /** No change. */
    StepHook NONE = (step, x) -> x;

    /** The state after loop step {@code step} (0-based), i.e. the state before step {@code step + 1}. */
    NDArray after(int step, NDArray x);
}
