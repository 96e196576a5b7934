package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.nn.Layers.GroupNorm;
import org.diffusion4j.nn.Layers.Linear;

/**
 * diffusers' {@code Attention} as the UNet's blocks configure it ({@code _from_deprecated_attn_block},
 * i.e. the self-attention block of Ho et al. 2020): GroupNorm, then multi-head scaled dot-product
 * self-attention over the H·W positions (Vaswani et al. 2017, Eq. 1: softmax(Q Kᵀ / √d) V, with
 * heads = channels / attention_head_dim, d = attention_head_dim), output projection, residual
 * connection, division by {@code rescale_output_factor}.
 *
 * <p>Parameters: {@code group_norm}, {@code to_q}, {@code to_k}, {@code to_v}, {@code to_out.0}
 * (the legacy names query/key/value/proj_attn are mapped on load).
 */
final class Attention {
    private final GroupNorm groupNorm;
    private final Linear toQ;
    private final Linear toK;
    private final Linear toV;
    private final Linear toOut;
    private final int heads;
    private final int headDim;
    private final double scale;
    private final double rescaleOutputFactor;

    Attention(ParameterFactory p, String name, int channels, int headDim, int groups, double eps,
            double rescaleOutputFactor) {
        this.heads = channels / headDim;
        this.headDim = headDim;
        int inner = heads * headDim;
        groupNorm = new GroupNorm(p, name + ".group_norm", groups, channels, eps);
        toQ = new Linear(p, name + ".to_q", channels, inner);
        toK = new Linear(p, name + ".to_k", channels, inner);
        toV = new Linear(p, name + ".to_v", channels, inner);
        toOut = new Linear(p, name + ".to_out.0", inner, channels);
        this.scale = 1 / Math.sqrt(headDim);
        this.rescaleOutputFactor = rescaleOutputFactor;
    }

    /** @param x [N, C, H, W] → [N, C, H, W] */
    NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        long positions = s.get(2) * s.get(3);
        NDArray hidden = groupNorm.forward(x).reshape(n, c, positions).transpose(0, 2, 1); // [N, HW, C]
        NDArray q = toQ.forward(hidden).reshape(n, positions, heads, headDim).transpose(0, 2, 1, 3); // [N, h, HW, d]
        NDArray kT = toK.forward(hidden).reshape(n, positions, heads, headDim).transpose(0, 2, 3, 1); // [N, h, d, HW]
        NDArray v = toV.forward(hidden).reshape(n, positions, heads, headDim).transpose(0, 2, 1, 3); // [N, h, HW, d]
        NDArray weights = Scalar.times(q, scale).matMul(kT).softmax(-1); // [N, h, HW, HW]
        NDArray attended = weights.matMul(v).transpose(0, 2, 1, 3).reshape(n, positions, (long) heads * headDim);
        NDArray out = toOut.forward(attended).transpose(0, 2, 1).reshape(s);
        out = out.add(x);
        return rescaleOutputFactor == 1 ? out : Scalar.divide(out, rescaleOutputFactor);
    }
}
