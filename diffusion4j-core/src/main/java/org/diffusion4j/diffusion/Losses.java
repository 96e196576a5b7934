package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.Shape;

/**
 * Loss and likelihood terms of diffusion training and evaluation, the analogue of
 * improved-diffusion's {@code losses.py} plus L_simple. Element-wise functions return the shape of
 * their (broadcast) inputs; per-sample functions return [N]. Results belong to the manager of the
 * first array argument and join the caller's NDScope; intermediates are freed. All are
 * differentiable (the trainer back-propagates through L_simple).
 */
public final class Losses {

    /** Half-width of an 8-bit bin for data scaled to [−1, 1]: the bins are 2/255 wide. */
    public static final double HALF_BIN = 1.0 / 255.0;

    private static final double LOG_2PI = Math.log(2 * Math.PI);

    private Losses() {}

    /**
     * Per-sample L_simple: the mean over all non-batch axes of (modelOutput − target)², shape [N]
     * (Eq. 14 of Ho et al. 2020, with the target of the model's parameterisation).
     */
    public static NDArray lossSimple(NDArray modelOutput, NDArray target) {
        if (!modelOutput.getShape().equals(target.getShape())) {
            throw new IllegalArgumentException("model output has shape " + modelOutput.getShape() + " but the target has shape "
                    + target.getShape() + "; for a learned-variance model pass only the prediction channels");
        }
        return Scoped.run(() -> meanFlat(modelOutput.sub(target).square()), modelOutput, target);
    }

    /** Per-sample L_simple times a per-sample weight of shape [N] (e.g. Min-SNR-γ weights). */
    public static NDArray lossSimple(NDArray modelOutput, NDArray target, NDArray weights) {
        long n = modelOutput.getShape().dimension() == 0 ? 1 : modelOutput.getShape().get(0);
        if (weights.getShape().dimension() != 1 || weights.getShape().get(0) != n) {
            throw new IllegalArgumentException("loss weights have shape " + weights.getShape() + "; need one per sample, shape (" + n + ")");
        }
        return Scoped.run(() -> lossSimple(modelOutput, target).mul(weights.toType(modelOutput.getDataType(), false)),
                modelOutput, target, weights);
    }

    /** Per-sample L_simple times per-sample weights given as doubles (see {@link GaussianDiffusion#minSnrWeights}). */
    public static NDArray lossSimple(NDArray modelOutput, NDArray target, double[] weights) {
        return Scoped.run(() -> lossSimple(modelOutput, target,
                modelOutput.getManager().create(weights).toType(modelOutput.getDataType(), false)), modelOutput, target);
    }

    /** The mean over all axes but the first (improved-diffusion's {@code mean_flat}), shape [N]. */
    public static NDArray meanFlat(NDArray x) {
        Shape shape = x.getShape();
        if (shape.dimension() <= 1) {
            return x;
        }
        // DJL's PyTorch mean takes a single axis: flatten the non-batch axes first.
        return Scoped.run(() -> x.reshape(shape.get(0), -1).mean(new int[] {1}), x);
    }

    /**
     * KL(N(mean1, e^{logvar1}) ‖ N(mean2, e^{logvar2})) element-wise, in nats:
     * ½(−1 + logvar2 − logvar1 + e^{logvar1−logvar2} + (mean1 − mean2)² e^{−logvar2}).
     * Arguments broadcast. In float32 the −1 + d + e^{−d} part cancels badly for close variances;
     * pass float64 for likelihood evaluation (as {@link VariationalBound} does).
     */
    public static NDArray normalKl(NDArray mean1, NDArray logvar1, NDArray mean2, NDArray logvar2) {
        return Scoped.run(() -> {
            NDArray meanTerm = mean1.sub(mean2).square().mul(logvar2.neg().exp());
            NDArray varTerm = logvar1.sub(logvar2).exp().add(logvar2.sub(logvar1)).sub(1);
            return Scalar.times(meanTerm.add(varTerm), 0.5);
        }, mean1, logvar1, mean2, logvar2);
    }

    /**
     * log N(x; mean, e^{2 logScale}) element-wise, in nats: the continuous Gaussian density, for
     * data that is not 8-bit (and the toy problems of the tests).
     */
    public static NDArray gaussianLogLikelihood(NDArray x, NDArray means, NDArray logScales) {
        return Scoped.run(() -> {
            NDArray z = x.sub(means).mul(logScales.neg().exp());
            return Scalar.times(z.square(), -0.5).sub(logScales).sub(0.5 * LOG_2PI);
        }, x, means, logScales);
    }

    /**
     * log P(x) element-wise, in nats, for 8-bit data scaled to [−1, 1] under a Gaussian
     * N(mean, e^{2 logScale}) discretised into 256 bins of width 2/255 centred on the data values:
     * log[Φ((x + 1/255 − μ)/σ) − Φ((x − 1/255 − μ)/σ)], with the edge bins open, so that x = −1
     * takes all mass below −1 + 1/255 and x = 1 all mass above 1 − 1/255 (Sec. 3.3 of Ho et al.
     * 2020; improved-diffusion's {@code discretized_gaussian_log_likelihood}). Probabilities are
     * floored at 1e-12, as there. Φ is computed exactly with erf (improved-diffusion uses a tanh
     * approximation of Φ, whose error is ~1e-4); pass float64 for accurate tails.
     */
    public static NDArray discretizedGaussianLogLikelihood(NDArray x, NDArray means, NDArray logScales) {
        return Scoped.run(() -> {
            NDArray centered = x.sub(means);
            NDArray invStdv = logScales.neg().exp();
            NDArray cdfPlus = standardNormalCdf(centered.add(HALF_BIN).mul(invStdv));
            NDArray cdfMin = standardNormalCdf(centered.sub(HALF_BIN).mul(invStdv));
            NDArray logCdfPlus = floorLog(cdfPlus);
            NDArray logOneMinusCdfMin = floorLog(cdfMin.neg().add(1));
            NDArray logCdfDelta = floorLog(cdfPlus.sub(cdfMin));
            return NDArrays.where(x.lt(-0.999), logCdfPlus,
                    NDArrays.where(x.gt(0.999), logOneMinusCdfMin, logCdfDelta));
        }, x, means, logScales);
    }

    /** Φ(z) = ½(1 + erf(z/√2)). */
    static NDArray standardNormalCdf(NDArray z) {
        return Scalar.times(Scalar.times(z, 1 / Math.sqrt(2)).erf().add(1), 0.5);
    }

    /** log max(p, 1e-12). */
    private static NDArray floorLog(NDArray p) {
        return p.maximum(Scalar.of(p, 1e-12)).log();
    }
}
