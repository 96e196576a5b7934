package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusers.StableDiffusionFolder;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.nn.ActivationProbe;
import org.diffusion4j.nn.AutoencoderKL;
import org.diffusion4j.sampling.Sampler;

/**
 * The text-to-image half of {@link DiffusionPipeline}, as StableDiffusionPipeline: prompts → text encoder →
 * classifier-free guidance with the negative prompts as ∅ → the sampler on latents (or pixels when the folder
 * has no VAE) → {@code vae.decode(latents / scaling_factor)}.
 */
final class TextSampling {

    /** diffusers' default {@code guidance_scale} for text. */
    static final double DEFAULT_GUIDANCE = 7.5;

    private final StableDiffusionFolder.Parts parts;
    private final TextEncoding encoding;
    private final SchedulerConfig scheduler;
    private final double defaultGuidance;

    /** {@code defaultGuidance}: the folder's scale for requests without one, or null for {@link #DEFAULT_GUIDANCE}. */
    TextSampling(StableDiffusionFolder.Parts parts, SchedulerConfig scheduler, Double defaultGuidance) {
        this.parts = parts;
        this.encoding = new TextEncoding(parts.tokenizer(), parts.textEncoder());
        this.scheduler = scheduler;
        this.defaultGuidance = defaultGuidance == null ? DEFAULT_GUIDANCE : defaultGuidance;
    }

    /** The guidance scale of a request without one: the folder's, else diffusers' 7.5. */
    double defaultGuidance() {
        return defaultGuidance;
    }

    StableDiffusionFolder.Parts parts() {
        return parts;
    }

    TextEncoding encoding() {
        return encoding;
    }

    SchedulerConfig scheduler() {
        return scheduler;
    }

    /** The shape of what the sampler runs on: {C, h, w} of the U-Net's input. */
    long[] latentShape() {
        int s = parts.unet().config().sampleSize();
        return new long[] {parts.unet().config().inChannels(), s, s};
    }

    /** The shape of one image: the decoder's output, or the latents when there is no VAE. */
    long[] imageShape() {
        AutoencoderKL vae = parts.vae();
        long[] l = latentShape();
        if (vae == null) {
            return l;
        }
        int f = vae.config().downsampleFactor();
        return new long[] {vae.config().outChannels(), l[1] * f, l[2] * f};
    }

    /** The prompts longer than the tokenizer's context (they are cut to model_max_length − 2 tokens). */
    List<String> truncated(List<String> prompts) {
        int room = parts.tokenizer().maxLength() - 2;
        return prompts.stream().filter(p -> parts.tokenizer().ids(p).length > room).distinct().toList();
    }

    /** Checks what a request asks of a text model and returns its prompts (image i takes {@code prompts[i mod m]}). */
    static List<String> promptsOf(SampleRequest r) {
        if (r.classes() != null) {
            throw new IllegalArgumentException("--class: the model is text-conditional; give --prompt instead");
        }
        if (r.prompts() == null) {
            throw new IllegalArgumentException("--prompt: the model is text-conditional (a StableDiffusionPipeline folder); "
                    + "give a prompt, e.g. --prompt \"a red circle\"");
        }
        return r.prompts();
    }

    double guidanceOf(SampleRequest r) {
        double w = r.guidance() == null ? defaultGuidance : r.guidance();
        if (!(w >= 0) || Double.isInfinite(w)) {
            throw new IllegalArgumentException("--guidance takes finite scales >= 0 (1 = the prompt alone), got " + w);
        }
        return w;
    }

    /**
     * Samples (or edits, by {@code generation}) images [first, first + n) of the request from x_T ([N, C, h, w] latents,
     * row j is image first + j) and decodes; returns NCHW floats in [−1, 1] (unclamped).
     */
    SampledImages sample(SampleRequest r, NDArray xT, int first, BatchedSampling.Generation generation, Sampler sampler, int steps,
            SampleListener listener, NDManager manager) {
        List<String> prompts = cycle(promptsOf(r), first, r.n());
        List<String> negatives = cycle(r.negativePrompts() == null ? List.of("") : r.negativePrompts(), first, r.n());
        double w = guidanceOf(r);
        TextUNetDenoiser unet = new TextUNetDenoiser(parts.unet(), scheduler.predictionType());
        BatchedSampling.Denoisers denoisers = (from, to) -> encoding.guided(unet, prompts.subList(from - first, to - first),
                negatives.subList(from - first, to - first), w, manager);
        float[] latents = new BatchedSampling(generation, denoisers, r.seed(), r.batch()).sample(xT, first, listener);
        float[] images = parts.vae() == null ? latents : decode(latents, r.n(), r.batch(), manager);
        if (parts.vae() != null && r.edit() != null && r.edit().inpaints()) {
            images = r.edit().overlayKept(images, r.n());
        }
        long[] image = imageShape();
        return new SampledImages(images, new long[] {r.n(), image[0], image[1], image[2]}, sampler, steps,
                ClassCondition.NONE, prompts);
    }

    /** vae.decode(z / scaling_factor) in batches. */
    float[] decode(float[] latents, int n, int batch, NDManager manager) {
        long[] l = latentShape();
        long[] img = imageShape();
        int perLatent = (int) (l[0] * l[1] * l[2]);
        int perImage = (int) (img[0] * img[1] * img[2]);
        float[] out = new float[n * perImage];
        for (int from = 0; from < n; from += batch) {
            int to = Math.min(n, from + batch);
            try (NDManager sub = manager.newSubManager()) {
                NDArray z = sub.create(Arrays.copyOfRange(latents, from * perLatent, to * perLatent), new Shape(to - from, l[0], l[1], l[2]));
                NDArray decoded = parts.vae().decode(Scalar.divide(z, parts.vae().config().scalingFactor()), ActivationProbe.NONE);
                System.arraycopy(decoded.toFloatArray(), 0, out, from * perImage, (to - from) * perImage);
            }
        }
        return out;
    }

    /** The values of images [first, first + n) when image i takes {@code values[i mod m]}. */
    private static List<String> cycle(List<String> values, int first, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(values.get((int) ((first + (long) i) % values.size())));
        }
        return out;
    }
}
