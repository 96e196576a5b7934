package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.nn.ClipTextModel.LayerNorm;
import org.diffusion4j.nn.Layers.Conv2d;
import org.diffusion4j.nn.Layers.GroupNorm;
import org.diffusion4j.nn.Layers.Linear;
import org.diffusion4j.nn.ParameterFactory.Init;

/**
 * diffusers' {@code Transformer2DModel} as Stable Diffusion's U-Net uses it (Rombach et al. 2022, Sec. 3.3):
 * GroupNorm (ε 1e-6) → 1×1 {@code proj_in} → per position a {@code BasicTransformerBlock} — x += SelfAttn(LN₁ x),
 * x += CrossAttn(LN₂ x, context), x += GEGLU-FF(LN₃ x) — → 1×1 {@code proj_out} → + the input. The cross-attention
 * reads its keys and values from the text encoder's hidden states: this is where the prompt enters the U-Net.
 */
final class Transformer2D {
    private static final double NORM_EPS = 1e-6;
    private static final double LN_EPS = 1e-5;

    private final GroupNorm norm;
    private final Conv2d projIn;
    private final List<Block> blocks = new ArrayList<>();
    private final Conv2d projOut;

    Transformer2D(ParameterFactory p, String name, int channels, int heads, int contextDim, int groups, int layers) {
        norm = new GroupNorm(p, name + ".norm", groups, channels, NORM_EPS);
        projIn = new Conv2d(p, name + ".proj_in", channels, channels, 1, 1, 0);
        for (int i = 0; i < layers; i++) {
            blocks.add(new Block(p, name + ".transformer_blocks." + i, channels, heads, contextDim));
        }
        projOut = new Conv2d(p, name + ".proj_out", channels, channels, 1, 1, 0);
    }

    /**
     * @param x [N, C, H, W]
     * @param context the text encoder's hidden states [N, L, D]
     */
    NDArray forward(NDArray x, NDArray context) {
        Shape s = x.getShape();
        long n = s.get(0);
        long c = s.get(1);
        long hw = s.get(2) * s.get(3);
        NDArray h = projIn.forward(norm.forward(x)).reshape(n, c, hw).transpose(0, 2, 1); // [N, HW, C]
        for (Block b : blocks) {
            h = b.forward(h, context);
        }
        h = h.transpose(0, 2, 1).reshape(s);
        return projOut.forward(h).add(x);
    }

    /** diffusers' {@code BasicTransformerBlock} (self-attention, cross-attention, GEGLU feed-forward, pre-LayerNorm). */
    private static final class Block {
        final LayerNorm norm1;
        final CrossAttention attn1;
        final LayerNorm norm2;
        final CrossAttention attn2;
        final LayerNorm norm3;
        final Linear geglu;
        final Linear ffOut;

        Block(ParameterFactory p, String name, int dim, int heads, int contextDim) {
            norm1 = new LayerNorm(p, name + ".norm1", dim, LN_EPS);
            attn1 = new CrossAttention(p, name + ".attn1", dim, dim, heads);
            norm2 = new LayerNorm(p, name + ".norm2", dim, LN_EPS);
            attn2 = new CrossAttention(p, name + ".attn2", dim, contextDim, heads);
            norm3 = new LayerNorm(p, name + ".norm3", dim, LN_EPS);
            geglu = new Linear(p, name + ".ff.net.0.proj", dim, 8 * dim);
            ffOut = new Linear(p, name + ".ff.net.2", 4 * dim, dim);
        }

        NDArray forward(NDArray x, NDArray context) {
            NDArray n1 = norm1.forward(x);
            x = x.add(attn1.forward(n1, n1));
            x = x.add(attn2.forward(norm2.forward(x), context));
            // GEGLU (Shazeer 2020): h · GELU(gate), with the exact (erf) GELU
            NDArray hg = geglu.forward(norm3.forward(x));
            long half = hg.getShape().get(2) / 2;
            NDArray h = hg.get(":, :, 0:{}", half);
            NDArray gate = hg.get(":, :, {}:", half);
            return x.add(ffOut.forward(h.mul(Activation.gelu(gate))));
        }
    }

    /**
     * diffusers' {@code Attention}: softmax(Q Kᵀ / √d) V over the heads (Vaswani et al. 2017, Eq. 1), Q from x,
     * K and V from {@code context} (x itself for self-attention); to_q/to_k/to_v without bias, to_out.0 with.
     */
    private static final class CrossAttention {
        final NDArray toQ;
        final NDArray toK;
        final NDArray toV;
        final Linear toOut;
        final int heads;

        CrossAttention(ParameterFactory p, String name, int dim, int contextDim, int heads) {
            toQ = p.create(name + ".to_q.weight", new Shape(dim, dim), Init.uniform(1 / Math.sqrt(dim)));
            toK = p.create(name + ".to_k.weight", new Shape(dim, contextDim), Init.uniform(1 / Math.sqrt(contextDim)));
            toV = p.create(name + ".to_v.weight", new Shape(dim, contextDim), Init.uniform(1 / Math.sqrt(contextDim)));
            toOut = new Linear(p, name + ".to_out.0", dim, dim);
            this.heads = heads;
        }

        NDArray forward(NDArray x, NDArray context) {
            long n = x.getShape().get(0);
            long lq = x.getShape().get(1);
            long lk = context.getShape().get(1);
            long dim = toQ.getShape().get(0);
            long headDim = dim / heads;
            NDArray q = x.matMul(transposed(toQ, x)).reshape(n, lq, heads, headDim).transpose(0, 2, 1, 3);
            NDArray k = context.matMul(transposed(toK, x)).reshape(n, lk, heads, headDim).transpose(0, 2, 3, 1);
            NDArray v = context.matMul(transposed(toV, x)).reshape(n, lk, heads, headDim).transpose(0, 2, 1, 3);
            NDArray weights = Scalar.times(q.matMul(k), 1 / Math.sqrt(headDim)).softmax(-1);
            return toOut.forward(weights.matMul(v).transpose(0, 2, 1, 3).reshape(n, lq, dim));
        }

        /** Wᵀ in the step's manager (a transpose of a parameter would otherwise live as long as the model). */
        private static NDArray transposed(NDArray w, NDArray like) {
            NDArray t = w.transpose();
            t.attach(like.getManager());
            return t;
        }
    }
}
