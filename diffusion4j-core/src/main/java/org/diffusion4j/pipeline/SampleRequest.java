package org.diffusion4j.pipeline;

import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.sampling.Samplers;

/**
 * What to sample: how many images, from which seed, with which sampler and how many steps, for which
 * classes and with what guidance. Absent settings (null) take the model's defaults: DDIM, T steps for
 * {@code ddpm} and 50 for the others, every class in turn, guidance {@link ModelClasses#DEFAULT_GUIDANCE}
 * for a model with a null class. Image i depends only on (model, settings, seed, i), not on the batch.
 *
 * @param n the number of images, ≥ 1
 * @param seed image i starts from draw i of {@code NoiseSource.seeded(seed)}, with a noise stream of its own
 * @param sampler a name of {@link Samplers#names()}, or null for ddim
 * @param steps sampling steps, or null for the sampler's default
 * @param overrides changes to the scheduler config's sampler options (eta, spacing, …), or null for none
 * @param classes class ids for a class-conditional model: image i gets {@code classes[i mod m]}; null = all classes
 * @param guidance classifier-free guidance scale w (diffusers' {@code guidance_scale}), or null for the default
 * @param batch images per network call, ≥ 1 (does not change the images)
 * @param prompts for a text-conditional model: image i gets {@code prompts[i mod m]}; null otherwise
 * @param negativePrompts the null condition of guidance, image i gets {@code negativePrompts[i mod m]}; null: ""
 * @param edit images to edit (SDEdit, inpainting) instead of sampling from noise alone; null for plain sampling
 */
public record SampleRequest(int n, long seed, String sampler, Integer steps, UnaryOperator<SamplerOptions> overrides,
        long[] classes, Double guidance, int batch, List<String> prompts, List<String> negativePrompts, ImageEdit edit) {

    /** Images per network call when a request does not say. */
    public static final int DEFAULT_BATCH = 64;

    public SampleRequest {
        if (n < 1) {
            throw new IllegalArgumentException("-n must be at least 1, got " + n);
        }
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        if (steps != null && steps < 1) {
            throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        }
        if (classes != null && classes.length == 0) {
            throw new IllegalArgumentException("--class: no classes given");
        }
        classes = classes == null ? null : classes.clone();
        if (prompts != null && prompts.isEmpty()) {
            throw new IllegalArgumentException("--prompt: no prompts given");
        }
        if (negativePrompts != null && negativePrompts.isEmpty()) {
            throw new IllegalArgumentException("--negative-prompt: no negative prompts given");
        }
        prompts = prompts == null ? null : List.copyOf(prompts);
        negativePrompts = negativePrompts == null ? null : List.copyOf(negativePrompts);
    }

    /** The 8 settings of an image model without text. */
    public SampleRequest(int n, long seed, String sampler, Integer steps, UnaryOperator<SamplerOptions> overrides,
            long[] classes, Double guidance, int batch) {
        this(n, seed, sampler, steps, overrides, classes, guidance, batch, null, null, null);
    }

    /** The 10 settings of plain sampling (no edit). */
    public SampleRequest(int n, long seed, String sampler, Integer steps, UnaryOperator<SamplerOptions> overrides,
            long[] classes, Double guidance, int batch, List<String> prompts, List<String> negativePrompts) {
        this(n, seed, sampler, steps, overrides, classes, guidance, batch, prompts, negativePrompts, null);
    }

    /** n images from {@code seed} with every other setting at its default. */
    public static SampleRequest of(int n, long seed) {
        return new SampleRequest(n, seed, null, null, null, null, null, DEFAULT_BATCH, null, null);
    }

    /** This request with sampler {@code name} and {@code steps} steps (null: the sampler's default). */
    public SampleRequest withSampler(String name, Integer steps) {
        return new SampleRequest(n, seed, name, steps, overrides, classes, guidance, batch, prompts, negativePrompts, edit);
    }

    /** This request with the sampler options changed by {@code overrides}. */
    public SampleRequest withOverrides(UnaryOperator<SamplerOptions> overrides) {
        return new SampleRequest(n, seed, sampler, steps, overrides, classes, guidance, batch, prompts, negativePrompts, edit);
    }

    /** This request for the classes {@code ids}, given to the images in turn. */
    public SampleRequest withClasses(long... ids) {
        return new SampleRequest(n, seed, sampler, steps, overrides, ids, guidance, batch, prompts, negativePrompts, edit);
    }

    /** This request with guidance scale w. */
    public SampleRequest withGuidance(double w) {
        return new SampleRequest(n, seed, sampler, steps, overrides, classes, w, batch, prompts, negativePrompts, edit);
    }

    /** This request with {@code batch} images per network call. */
    public SampleRequest withBatch(int batch) {
        return new SampleRequest(n, seed, sampler, steps, overrides, classes, guidance, batch, prompts, negativePrompts, edit);
    }

    /** This request for {@code n} images. */
    public SampleRequest withN(int n) {
        return new SampleRequest(n, seed, sampler, steps, overrides, classes, guidance, batch, prompts, negativePrompts, edit);
    }

    /** This request for the prompts {@code text}, given to the images in turn. */
    public SampleRequest withPrompts(List<String> text) {
        return new SampleRequest(n, seed, sampler, steps, overrides, classes, guidance, batch, text, negativePrompts, edit);
    }

    /** This request with these negative prompts (the null condition of guidance), given to the images in turn. */
    public SampleRequest withNegativePrompts(List<String> text) {
        return new SampleRequest(n, seed, sampler, steps, overrides, classes, guidance, batch, prompts, text, edit);
    }

    /** This request editing images ({@link ImageEdit}): image i is made from the edit's image i mod m. */
    public SampleRequest withEdit(ImageEdit e) {
        return new SampleRequest(n, seed, sampler, steps, overrides, classes, guidance, batch, prompts, negativePrompts, e);
    }

    @Override
    public long[] classes() {
        return classes == null ? null : classes.clone();
    }

    @Override
    public String toString() {
        return "SampleRequest[n=" + n + ", seed=" + seed + ", sampler=" + sampler + ", steps=" + steps + ", classes="
                + Arrays.toString(classes) + ", guidance=" + guidance + ", batch=" + batch + ", prompts=" + prompts
                + ", negativePrompts=" + negativePrompts + ", edit=" + (edit == null ? null : edit.method()) + "]";
    }
}
