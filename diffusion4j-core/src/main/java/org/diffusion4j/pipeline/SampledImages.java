package org.diffusion4j.pipeline;

import org.diffusion4j.sampling.Sampler;

/**
 * The result of {@link DiffusionPipeline#sample}: the images as NCHW floats in the model's range
 * (about [−1, 1], unclamped), how they were made and what each was conditioned on.
 *
 * @param values N·C·H·W floats, image after image
 * @param shape {N, C, H, W}
 * @param sampler the sampler that made them (its name and network evaluations per image)
 * @param steps the sampling steps used
 * @param condition the class of each image and the guidance scale ({@link ClassCondition#NONE} when unconditional)
 * @param prompts the prompt of each image for a text-conditional model, else null
 */
public record SampledImages(float[] values, long[] shape, Sampler sampler, int steps, ClassCondition condition,
        java.util.List<String> prompts) {

    /** N, the number of images. */
    public int count() {
        return (int) shape[0];
    }
}
