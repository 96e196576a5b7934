package org.diffusion4j.sampling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.diffusion4j.diffusion.ConditionalDenoiser;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.PredictionType;

/**
 * Classifier-free guidance (Ho &amp; Salimans 2022) as a {@link Denoiser}, so every sampler supports it:
 * <pre>
 *   ε̃(x, t) = ε(x, t, ∅) + w · (ε(x, t, c) − ε(x, t, ∅))
 * </pre>
 * with guidance scale w as diffusers' {@code guidance_scale} (w = 1: the conditional model alone; w = 0: the
 * unconditional one; the paper's w is this w − 1). Both halves are evaluated in ONE network call on the batch
 * [x; x] with conditions [c; ∅]. The combination is affine with weights summing to one, so applying it to x₀- or
 * v-outputs equals applying it to ε. For w = 1 only the conditional half is evaluated.
 */
public final class GuidedDenoiser implements Denoiser {

    /** Creates the conditioning batch in the given manager (the sampling step's scoped manager). */
    @FunctionalInterface
    public interface Condition {
        NDArray create(NDManager manager);
    }

    private final ConditionalDenoiser model;
    private final Condition condition;
    private final Condition nullCondition;
    private final double guidanceScale;

    /**
     * @param condition the condition c of each sample, batch-first
     * @param nullCondition ∅ for each sample, same shape as {@code condition}
     * @param guidanceScale w ≥ 0
     */
    public GuidedDenoiser(ConditionalDenoiser model, Condition condition, Condition nullCondition, double guidanceScale) {
        if (!(guidanceScale >= 0) || Double.isInfinite(guidanceScale)) {
            throw new IllegalArgumentException("guidance scale must be a finite number ≥ 0, got " + guidanceScale);
        }
        this.model = model;
        this.condition = condition;
        this.nullCondition = nullCondition;
        this.guidanceScale = guidanceScale;
    }

    /** Class-conditional guidance: sample i gets label {@code labels[i]}; ∅ is the label id {@code nullLabel}. */
    public static GuidedDenoiser classConditional(ConditionalDenoiser model, long[] labels, long nullLabel,
            double guidanceScale) {
        long[] l = labels.clone();
        long[] none = new long[l.length];
        Arrays.fill(none, nullLabel);
        return new GuidedDenoiser(model, m -> m.create(l), m -> m.create(none), guidanceScale);
    }

    public double guidanceScale() {
        return guidanceScale;
    }

    @Override
    public NDArray predict(NDArray x, double t) {
        NDManager m = x.getManager();
        NDArray c = condition.create(m);
        long n = x.getShape().get(0);
        if (c.getShape().get(0) != n) {
            throw new IllegalArgumentException("the condition has batch " + c.getShape().get(0) + " but x has " + n);
        }
        if (guidanceScale == 1) {
            return model.predict(x, t, c);
        }
        NDArray none = nullCondition.create(m);
        if (!none.getShape().equals(c.getShape())) {
            throw new IllegalArgumentException("the null condition has shape " + none.getShape()
                    + " but the condition has " + c.getShape());
        }
        NDArray both = model.predict(NDArrays.concat(new NDList(x, x)), t, NDArrays.concat(new NDList(c, none)));
        Shape shape = both.getShape();
        if (shape.get(0) != 2 * n) {
            throw new IllegalStateException("the model returned batch " + shape.get(0) + " for an input batch of " + 2 * n);
        }
        NDArray conditional = both.get("0:" + n);
        NDArray unconditional = both.get(n + ":");
        return unconditional.add(conditional.sub(unconditional).mul((float) guidanceScale));
    }

    @Override
    public PredictionType predictionType() {
        return model.predictionType();
    }
}
