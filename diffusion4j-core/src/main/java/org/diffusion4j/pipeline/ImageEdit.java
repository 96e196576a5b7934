package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Locale;
import org.diffusion4j.nn.AutoencoderKL;
import org.diffusion4j.sampling.MaskBlend;
import org.diffusion4j.sampling.RePaint;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.sampling.SdEdit;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * Editing given images instead of sampling from noise alone: SDEdit (Meng et al. 2022, {@link SdEdit}) or inpainting,
 * by mask-blend ({@link MaskBlend}) or RePaint (Lugmayr et al. 2022, {@link RePaint}). With an edit, image i of a
 * {@link SampleRequest} is made from {@code images[i mod m]} (and {@code mask[i mod m]}) with image i's own x_T and
 * noise stream, exactly as plain sampling, so results do not depend on the batch.
 *
 * @param method what to do
 * @param images m images, NCHW floats in the model's range [−1, 1]
 * @param shape {m, C, H, W}
 * @param mask inpainting: m·H·W floats, 1 = repaint (white in a mask PNG, diffusers' convention), 0 = keep; null for SDEdit
 * @param strength SDEdit: the fraction of the reverse process run, in (0, 1] (diffusers' img2img {@code strength})
 * @param jumpLength RePaint: levels per jump back (L; diffusers' default 10)
 * @param jumpNSample RePaint: times each jump's stretch is sampled (r; 1 = no resampling; diffusers' default 10)
 */
public record ImageEdit(Method method, float[] images, long[] shape, float[] mask, double strength, int jumpLength, int jumpNSample) {

    /** RePaint's defaults, as diffusers' {@code RePaintPipeline}. */
    public static final int DEFAULT_JUMP_LENGTH = 10;
    public static final int DEFAULT_JUMP_N_SAMPLE = 10;

    /** SDEdit's default strength (the and a common img2img choice). */
    public static final double DEFAULT_STRENGTH = 0.6;

    /** The editing methods. */
    public enum Method {
        SDEDIT, BLEND, REPAINT;

        /** The method named {@code s} (sdedit, blend, repaint). */
        public static Method parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--method " + s + ": use repaint or blend");
            }
        }
    }

    public ImageEdit {
        if (shape == null || shape.length != 4 || shape[0] < 1 || images == null
                || images.length != shape[0] * shape[1] * shape[2] * shape[3]) {
            throw new IllegalArgumentException("edit images: " + (images == null ? 0 : images.length) + " values do not make "
                    + Arrays.toString(shape));
        }
        if ((method == Method.SDEDIT) != (mask == null)) {
            throw new IllegalArgumentException(method == Method.SDEDIT ? "SDEdit takes no mask" : "inpainting needs a mask");
        }
        if (mask != null && mask.length != shape[0] * shape[2] * shape[3]) {
            throw new IllegalArgumentException("mask: " + mask.length + " values for " + shape[0] + " masks of " + shape[3] + "x" + shape[2]);
        }
        if (method == Method.SDEDIT) {
            SdEdit.startStep(1000, strength); // validates the strength
        }
        if (method == Method.REPAINT) {
            RePaint.jumpSchedule(1, jumpLength, jumpNSample); // validates L and r
        }
        shape = shape.clone();
    }

    /** SDEdit of {@code images} ({@code shape} = {m, C, H, W}) at {@code strength}. */
    public static ImageEdit sdEdit(float[] images, long[] shape, double strength) {
        return new ImageEdit(Method.SDEDIT, images, shape, null, strength, 0, 0);
    }

    /** Mask-blend inpainting of {@code images} where {@code mask} is 1. */
    public static ImageEdit blend(float[] images, long[] shape, float[] mask) {
        return new ImageEdit(Method.BLEND, images, shape, mask, 0, 0, 0);
    }

    /** RePaint inpainting of {@code images} where {@code mask} is 1, with jumps of L levels sampled r times. */
    public static ImageEdit repaint(float[] images, long[] shape, float[] mask, int jumpLength, int jumpNSample) {
        return new ImageEdit(Method.REPAINT, images, shape, mask, 0, jumpLength, jumpNSample);
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Whether this edit inpaints. */
    public boolean inpaints() {
        return mask != null;
    }

    /**
     * Refuses an edit whose images are not the model's size, naming both.
     *
     * @param imageShape {C, H, W} of the model's images
     */
    void check(long[] imageShape) {
        if (shape[1] != imageShape[0] || shape[2] != imageShape[1] || shape[3] != imageShape[2]) {
            throw new IllegalArgumentException("--image: the images to edit are " + shape[1] + "x" + shape[2] + "x" + shape[3]
                    + " (channels x height x width) but the model makes " + imageShape[0] + "x" + imageShape[1] + "x" + imageShape[2]);
        }
    }

    /**
     * This edit in the latent space of {@code vae} (latent diffusion): the images encoded, μ of q(z | x) times
     * {@code scaling_factor}; a latent position is repainted when any pixel it covers is (the mask max-pooled by the
     * auto-encoder's factor), so the kept latents see only kept pixels.
     */
    ImageEdit toLatents(AutoencoderKL vae, NDManager manager) {
        int f = vae.config().downsampleFactor();
        int h = (int) shape[2] / f;
        int w = (int) shape[3] / f;
        float[] latents;
        long[] latentShape;
        try (NDManager sub = manager.newSubManager()) {
            NDArray z = vae.scaledMeanLatents(sub.create(images, new Shape(shape)));
            latents = z.toFloatArray();
            latentShape = z.getShape().getShape();
        }
        float[] latentMask = null;
        if (mask != null) {
            latentMask = new float[(int) shape[0] * h * w];
            for (int i = 0; i < shape[0]; i++) {
                for (int y = 0; y < shape[2]; y++) {
                    for (int x = 0; x < shape[3]; x++) {
                        float v = mask[(int) ((i * shape[2] + y) * shape[3] + x)];
                        int k = (i * h + y / f) * w + x / f;
                        latentMask[k] = Math.max(latentMask[k], v);
                    }
                }
            }
        }
        return new ImageEdit(method, latents, latentShape, latentMask, strength, jumpLength, jumpNSample);
    }

    /**
     * The decoded images of a latent inpainting with the kept pixels of the originals put back exactly (the decoder
     * alone would only approximate them; A1111's "overlay", diffusers' {@code apply_overlay}). {@code values} are n images.
     */
    float[] overlayKept(float[] values, int n) {
        int plane = (int) (shape[2] * shape[3]);
        int per = (int) shape[1] * plane;
        int m = (int) shape[0];
        float[] out = values.clone();
        for (int i = 0; i < n; i++) {
            int src = i % m;
            for (int p = 0; p < per; p++) {
                if (mask[src * plane + p % plane] == 0) {
                    out[i * per + p] = images[src * per + p];
                }
            }
        }
        return out;
    }

    /** Network evaluations per image of this edit with {@code sampler} and the RePaint settings. */
    int evaluations(Sampler sampler, NoiseSchedule schedule, SamplerOptions options) {
        if (method != Method.REPAINT) {
            SdEdit.requireEdits(sampler, method == Method.BLEND ? "inpainting" : "SDEdit");
        }
        return switch (method) {
            case SDEDIT -> sampler.steps() - SdEdit.startStep(sampler.steps(), strength);
            case BLEND -> sampler.evaluations();
            case REPAINT -> repaint(sampler, schedule, options).evaluations();
        };
    }

    /** How each batch is made: images [from, to) edited from their x_T. */
    BatchedSampling.Generation generation(Sampler sampler, NoiseSchedule schedule, SamplerOptions options) {
        if (method == Method.REPAINT) {
            RePaint r = repaint(sampler, schedule, options);
            return (d, xT, from, to, noise, listener) -> r.inpaint(d, slice(images, shape[1], xT, from, to), slice(mask, 1, xT, from, to),
                    xT, noise, listener);
        }
        SdEdit.requireEdits(sampler, method == Method.BLEND ? "inpainting" : "SDEdit");
        if (method == Method.BLEND) {
            return (d, xT, from, to, noise, listener) -> MaskBlend.inpaint(sampler, d, slice(images, shape[1], xT, from, to),
                    slice(mask, 1, xT, from, to), xT, noise, listener);
        }
        return (d, xT, from, to, noise, listener) -> SdEdit.edit(sampler, d, slice(images, shape[1], xT, from, to), xT, strength,
                noise, listener);
    }

    private RePaint repaint(Sampler sampler, NoiseSchedule schedule, SamplerOptions options) {
        String name = sampler.name();
        if (!name.equals("ddpm") && !name.equals("ddim")) {
            throw new IllegalArgumentException("--method repaint runs DDPM's reverse steps (or DDIM's with --eta); --sampler " + name
                    + " cannot: use --sampler ddpm (the paper's) or ddim, or --method blend");
        }
        SamplerOptions o = name.equals("ddpm") ? options.toBuilder().eta(1).build() : options;
        return new RePaint(schedule, o, jumpLength, jumpNSample);
    }

    /** Rows i mod m for i in [from, to) of {@code values} (m rows of {@code channels}·H·W), in xT's manager. */
    private NDArray slice(float[] values, long channels, NDArray xT, int from, int to) {
        int per = (int) (channels * shape[2] * shape[3]);
        int m = (int) shape[0];
        float[] out = new float[(to - from) * per];
        for (int i = from; i < to; i++) {
            System.arraycopy(values, (i % m) * per, out, (i - from) * per, per);
        }
        NDManager manager = xT.getManager();
        return manager.create(out, new Shape(to - from, channels, shape[2], shape[3]));
    }
}
