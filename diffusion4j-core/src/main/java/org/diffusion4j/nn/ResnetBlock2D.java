package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.nn.Layers.Conv2d;
import org.diffusion4j.nn.Layers.GroupNorm;
import org.diffusion4j.nn.Layers.Linear;

/**
 * diffusers' {@code ResnetBlock2D} with {@code time_embedding_norm="default"} (the residual block of
 * Ho et al. 2020, Appendix B, from the Wide ResNet): {@code h = conv1(silu(norm1(x)))}, plus the
 * projected time embedding per channel; {@code h = conv2(dropout(silu(norm2(h))))}; output
 * {@code (shortcut(x) + h) / output_scale_factor}, the shortcut a 1×1 conv when the channel count
 * changes.
 */
final class ResnetBlock2D {
    private final GroupNorm norm1;
    private final Conv2d conv1;
    private final Linear timeEmbProj;
    private final GroupNorm norm2;
    private final Conv2d conv2;
    private final Conv2d convShortcut;
    private final double dropout;
    private final double outputScaleFactor;

    ResnetBlock2D(ParameterFactory p, String name, int in, int out, int tembChannels, int groups, double eps,
            double dropout, double outputScaleFactor) {
        norm1 = new GroupNorm(p, name + ".norm1", groups, in, eps);
        conv1 = new Conv2d(p, name + ".conv1", in, out, 3, 1, 1);
        // the auto-encoder's blocks have no time embedding (temb_channels None in diffusers)
        timeEmbProj = tembChannels > 0 ? new Linear(p, name + ".time_emb_proj", tembChannels, out) : null;
        norm2 = new GroupNorm(p, name + ".norm2", groups, out, eps);
        conv2 = new Conv2d(p, name + ".conv2", out, out, 3, 1, 1);
        convShortcut = in != out ? new Conv2d(p, name + ".conv_shortcut", in, out, 1, 1, 0) : null;
        this.dropout = dropout;
        this.outputScaleFactor = outputScaleFactor;
    }

    /**
     * @param x [N, in, H, W]
     * @param tembAct silu(time embedding) [N, temb_channels]; diffusers applies the SiLU inside every
     *     block, the model applies it once and shares it (null for a block without time embedding)
     */
    NDArray forward(NDArray x, NDArray tembAct, boolean training) {
        NDArray h = conv1.forward(Layers.silu(norm1.forward(x)));
        if (timeEmbProj != null) {
            NDArray t = timeEmbProj.forward(tembAct);
            h = h.add(t.reshape(t.getShape().get(0), t.getShape().get(1), 1, 1));
        }
        h = Layers.silu(norm2.forward(h));
        h = conv2.forward(Layers.dropout(h, dropout, training));
        NDArray shortcut = convShortcut == null ? x : convShortcut.forward(x);
        NDArray out = shortcut.add(h);
        return outputScaleFactor == 1 ? out : Scalar.divide(out, outputScaleFactor);
    }
}
