package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.util.Collection;

/**
 * Clipping by global norm (Pascanu et al. 2013), as {@code torch.nn.utils.clip_grad_norm_}: with
 * ‖g‖ = √(Σ_i ‖g_i‖²) over all gradients, every gradient is scaled by
 * min(1, maxNorm / (‖g‖ + 10⁻⁶)).
 */
public final class GradientClipping {

    /** PyTorch's guard against division by zero in the clip coefficient. */
    public static final double EPSILON = 1e-6;

    private GradientClipping() {}

    /**
     * The global L2 norm √(Σ_i ‖g_i‖²): each ‖g_i‖² is reduced by the engine in float32, the sum and
     * root are taken in double. It is NaN or infinite when any gradient element is.
     */
    public static double globalNorm(Collection<NDArray> gradients, NDManager step) {
        if (gradients.isEmpty()) {
            return 0;
        }
        NDList squares = new NDList(gradients.size());
        for (NDArray g : gradients) {
            NDArray s = g.square().sum();
            s.attach(step);
            squares.add(s);
        }
        NDArray stacked = NDArrays.stack(squares);
        stacked.attach(step);
        double sum = 0;
        for (float v : stacked.toFloatArray()) {
            sum += v;
        }
        return Math.sqrt(sum);
    }

    /** The scale min(1, maxNorm / (norm + 10⁻⁶)). */
    public static double clipCoefficient(double norm, double maxNorm) {
        return Math.min(1.0, maxNorm / (norm + EPSILON));
    }

    /**
     * Scales the gradients in place so that their global norm is at most {@code maxNorm}.
     *
     * @param norm their global norm, from {@link #globalNorm}
     * @return the coefficient applied (1 when nothing was scaled)
     */
    public static double clip(Collection<NDArray> gradients, double norm, double maxNorm) {
        double coefficient = clipCoefficient(norm, maxNorm);
        if (coefficient < 1) {
            for (NDArray g : gradients) {
                g.muli(coefficient);
            }
        }
        return coefficient;
    }
}
