package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.diffusion.Scalar;

/**
 * Hard negatives for a text-conditional U-Net ({@code hard_negative_weight}): each two-object caption of a batch (the
 * shapes data's form) is also paired with the same words in the other order — "a blue square to the left of a red
 * circle" for "a red circle to the left of a blue square", the caption of the mirror image ({@link Shapes#swappedOrder})
 * — and the U-Net is asked to denoise the image better under its own caption than under the swap.
 *
 * <p>A diffusion model scores a caption c for an image by its denoising error ℓ(c) = ‖target − model(x_t, t, c)‖²:
 * the caption with the lower error wins (the diffusion classifier of Li et al. 2023, "Your Diffusion Model is Secretly
 * a Zero-Shot Classifier"). This term trains that two-way choice with the logistic loss, on the step's own x_t, t and
 * target:
 * <pre>
 *   L_neg = (λ / B) Σ_{rows i with a swapped caption c̃ᵢ} softplus(β (ℓᵢ(cᵢ) − ℓᵢ(c̃ᵢ)))
 * </pre>
 * over a batch of B. It has the form of Diffusion-DPO's objective (Wallace et al. 2023) with two captions for one image
 * where Diffusion-DPO has two images for one caption, and no reference model; it is the denoising counterpart of NegCLIP's
 * hard negatives in {@link ClipTrainer}. The plain loss hardly depends on the word order — once x_t shows where the two
 * objects are, a caption naming them in either order predicts nearly the same pixels — so a U-Net can ignore the order.
 * {@code docs/t2i/swap-probe.sh} found that one trained without this term did (the layout followed the word order in 3 of
 * 62 pairs) and the bundled {@code models/shapes-t2i}, 88 minutes later with it, does not (57 of 57). β sets the scale of error differences the
 * softplus still pushes on (it saturates once ℓ(c̃) − ℓ(c) ≫ 1/β); λ weighs the term against the mean denoising loss.
 */
final class HardNegatives {

    /** The rows of a batch whose caption has a swapped form, and those forms. */
    record Rows(long[] rows, List<String> swapped) {}

    private HardNegatives() {}

    /** The rows of {@code captions} with two objects in the shapes form, with their swapped captions; null when none has. */
    static Rows of(List<String> captions) {
        List<Long> rows = new ArrayList<>();
        List<String> swapped = new ArrayList<>();
        for (int i = 0; i < captions.size(); i++) {
            String s = Shapes.swappedOrder(captions.get(i));
            if (s != null) {
                rows.add((long) i);
                swapped.add(s);
            }
        }
        return rows.isEmpty() ? null : new Rows(rows.stream().mapToLong(Long::longValue).toArray(), swapped);
    }

    /** The index of {@code rows} along the first axis, for {@code x.get(index)} (with autograd), created once in {@code m}. */
    static NDIndex index(NDManager m, long[] rows) {
        return new NDIndex("{}", m.create(rows));
    }

    /**
     * L_neg of the class comment.
     *
     * @param positive ℓ(c) of the rows, shape [R]
     * @param negative ℓ(c̃) of the same rows, shape [R]
     * @param batchSize B
     */
    static NDArray loss(NDArray positive, NDArray negative, double weight, double beta, long batchSize) {
        NDArray z = positive.sub(negative).mul(Scalar.of(positive, beta));
        // softplus(z) = max(z, 0) + log(1 + exp(−|z|)), which never overflows
        NDArray softplus = z.maximum(Scalar.of(z, 0)).add(z.abs().neg().exp().add(Scalar.of(z, 1)).log());
        return softplus.sum().mul(Scalar.of(z, weight / batchSize));
    }
}
