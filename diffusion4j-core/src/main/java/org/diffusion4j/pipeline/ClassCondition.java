package org.diffusion4j.pipeline;

import java.util.Arrays;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.sampling.GuidedDenoiser;

/**
 * What N images are conditioned on: one class label per image and the guidance scale w, turned into
 * the {@link Denoiser} of each batch (the samplers see only that). With w as diffusers' {@code guidance_scale}:
 * <ul>
 *   <li>no labels: the unconditional UNet;</li>
 *   <li>w = 1: the conditional UNet alone, ε(x, t, c) — one network input per image;</li>
 *   <li>w = 0: the UNet under the null class, ε(x, t, ∅) — one input per image;</li>
 *   <li>otherwise {@link GuidedDenoiser}: ε(∅) + w (ε(c) − ε(∅)) from one batched call on [x; x] with [c; ∅].</li>
 * </ul>
 *
 * @param labels the class of image i, or null for an unconditional model
 * @param nullLabel the null class id ∅ (only read when w ≠ 1)
 * @param guidanceScale w ≥ 0
 */
public record ClassCondition(long[] labels, long nullLabel, double guidanceScale) {

    /** An unconditional model. */
    public static final ClassCondition NONE = new ClassCondition(null, -1, 1);

    public ClassCondition {
        if (labels != null && guidanceScale != 1 && nullLabel < 0) {
            throw new IllegalArgumentException("guidance scale " + guidanceScale + " needs a null class");
        }
    }

    /** Labels for n images of a model, image i taking {@code requested} in turn; NONE when requested is null. */
    public static ClassCondition of(ModelClasses classes, long[] labels, double guidanceScale) {
        if (labels == null) {
            return NONE;
        }
        return new ClassCondition(labels, classes.hasNullClass() ? classes.nullLabel() : -1, guidanceScale);
    }

    /** The denoiser of images [from, to). */
    public Denoiser denoiser(UNet2DModel unet, PredictionType type, int from, int to) {
        if (labels == null) {
            return new UNetDenoiser(unet, type);
        }
        long[] batch = Arrays.copyOfRange(labels, from, to);
        if (guidanceScale == 1) {
            return new UNetDenoiser(unet, type, batch);
        }
        if (guidanceScale == 0) {
            long[] none = new long[batch.length];
            Arrays.fill(none, nullLabel);
            return new UNetDenoiser(unet, type, none);
        }
        return GuidedDenoiser.classConditional(new UNetDenoiser(unet, type), batch, nullLabel, guidanceScale);
    }

    /** The denoisers of a {@link BatchedSampling}. */
    public BatchedSampling.Denoisers denoisers(UNet2DModel unet, PredictionType type) {
        return (from, to) -> denoiser(unet, type, from, to);
    }

    /** Network inputs per image per evaluation: 2 when guidance evaluates both halves, else 1. */
    public int inputsPerEvaluation() {
        return labels != null && guidanceScale != 1 && guidanceScale != 0 ? 2 : 1;
    }
}
