package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.diffusion4j.nn.ParameterFactory.Init;

/**
 * The primitive layers of diffusers' UNet (PyTorch's Conv2d, Linear, GroupNorm, Embedding, SiLU,
 * nearest upsampling), with PyTorch's parameter names, shapes and default initialisation, computed
 * by libtorch kernels through DJL's PyTorch JNI.
 *
 * <p>Memory rule: every operation is invoked on the activation (never on a parameter), so its
 * result belongs to the activation's {@link NDManager} — the caller's per-step scope — and nothing
 * accumulates in the model's manager.
 */
final class Layers {

    private Layers() {}

    private static PtNDArray pt(NDArray a) {
        return (PtNDArray) a;
    }

    /** SiLU(x) = x · σ(x) (Hendrycks &amp; Gimpel's "swish" with β = 1). */
    static NDArray silu(NDArray x) {
        return x.mul(JniUtils.sigmoid(pt(x)));
    }

    /** Dropout with probability p, applied only when training. */
    static NDArray dropout(NDArray x, double p, boolean training) {
        return training && p > 0 ? JniUtils.dropout(pt(x), p, true) : x;
    }

    /** Nearest-neighbour ×2 upsampling of [N, C, H, W] (F.interpolate(scale_factor=2, mode="nearest")). */
    static NDArray upsampleNearest2x(NDArray x) {
        Shape s = x.getShape();
        return JniUtils.interpolate(pt(x), new long[] {2 * s.get(2), 2 * s.get(3)}, 0, false);
    }

    /** Runs {@code work} with autograd off on this thread (torch.no_grad), restoring the mode after. */
    static <T> T noGrad(java.util.function.Supplier<T> work) {
        boolean gradMode = JniUtils.isGradMode();
        if (gradMode) {
            JniUtils.setGradMode(false);
        }
        try {
            return work.get();
        } finally {
            if (gradMode) {
                JniUtils.setGradMode(true);
            }
        }
    }

    static NDArray view(NDArray parameter, NDArray like, long... shape) {
        NDArray v = parameter.reshape(shape);
        v.attach(like.getManager());
        return v;
    }

    /** torch.nn.Conv2d(in, out, kernel, stride, padding) with bias, through the kernel-safe {@link Convolution}. */
    static final class Conv2d {
        final NDArray weight;
        final NDArray bias;
        private final int stride;
        private final int padding;

        Conv2d(ParameterFactory p, String name, int in, int out, int kernel, int stride, int padding) {
            double bound = 1 / Math.sqrt((double) in * kernel * kernel);
            weight = p.create(name + ".weight", new Shape(out, in, kernel, kernel), Init.uniform(bound));
            bias = p.create(name + ".bias", new Shape(out), Init.uniform(bound));
            this.stride = stride;
            this.padding = padding;
        }

        NDArray forward(NDArray x) {
            return Convolution.conv2d(x, weight, bias, stride, padding);
        }
    }

    /** torch.nn.Linear(in, out) with bias: y = x Wᵀ + b. */
    static final class Linear {
        final NDArray weight;
        final NDArray bias;

        Linear(ParameterFactory p, String name, int in, int out) {
            double bound = 1 / Math.sqrt(in);
            weight = p.create(name + ".weight", new Shape(out, in), Init.uniform(bound));
            bias = p.create(name + ".bias", new Shape(out), Init.uniform(bound));
        }

        NDArray forward(NDArray x) {
            return JniUtils.linear(pt(x), pt(weight), pt(bias));
        }
    }

    /** torch.nn.Embedding(num, dim): a lookup table initialised N(0, 1). */
    static final class Embedding {
        final NDArray weight;

        Embedding(ParameterFactory p, String name, int num, int dim) {
            weight = p.create(name + ".weight", new Shape(num, dim), Init.NORMAL);
        }

        NDArray forward(NDArray indices) {
            return JniUtils.embedding(pt(indices), pt(weight), false);
        }
    }

    /**
     * torch.nn.GroupNorm(groups, channels, eps, affine=True) on [N, C, ...] (Wu &amp; He 2018): the
     * channels split into groups whose elements are normalised to zero mean and unit (biased)
     * variance, then per-channel γ (weight) and β (bias). libtorch's layer_norm over the last axis
     * of the [N, G, C/G·H·W] view computes the normalisation with the same statistics.
     */
    static final class GroupNorm {
        final NDArray weight;
        final NDArray bias;
        private final int groups;
        private final int channels;
        private final double eps;

        GroupNorm(ParameterFactory p, String name, int groups, int channels, double eps) {
            weight = p.create(name + ".weight", new Shape(channels), Init.ONES);
            bias = p.create(name + ".bias", new Shape(channels), Init.ZEROS);
            this.groups = groups;
            this.channels = channels;
            this.eps = eps;
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long n = s.get(0);
            long perGroup = s.size() / n / groups;
            NDManager m = x.getManager();
            Shape groupShape = new Shape(perGroup);
            NDArray normalized = JniUtils.layerNorm(pt(x.reshape(n, groups, perGroup)), groupShape,
                    pt(m.ones(groupShape, x.getDataType())), pt(m.zeros(groupShape, x.getDataType())), eps).reshape(s);
            long[] channelShape = new long[s.dimension() - 1];
            java.util.Arrays.fill(channelShape, 1);
            channelShape[0] = channels;
            return normalized.mul(view(weight, x, channelShape)).add(view(bias, x, channelShape));
        }
    }
}
