package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;

/**
 * What one reverse step produces: the next (less noisy) sample and the x₀ estimate it used
 * (after clipping or thresholding), as diffusers' {@code prev_sample} and {@code pred_original_sample}.
 */
public record StepResult(NDArray prevSample, NDArray predictedX0) {}
