package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * diffusers' {@code DownBlock2D} and {@code AttnDownBlock2D}: {@code layers_per_block} residual
 * blocks (each followed by self-attention in the Attn variant), then a stride-2 downsampler except
 * at the last level. Every residual(+attention) output and the downsampler output are pushed as
 * skip connections for the up path.
 */
final class DownBlock2D {
    private final String name;
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final List<Attention> attentions = new ArrayList<>();
    private final Downsample2D downsampler;

    DownBlock2D(ParameterFactory p, String name, UNet2DConfig c, int in, int out, boolean attention,
            boolean addDownsample) {
        this.name = name;
        for (int i = 0; i < c.layersPerBlock(); i++) {
            resnets.add(new ResnetBlock2D(p, name + ".resnets." + i, i == 0 ? in : out, out, c.timeEmbedDim(),
                    c.normNumGroups(), c.normEps(), c.dropout(), 1.0));
            if (attention) {
                attentions.add(new Attention(p, name + ".attentions." + i, out, c.headDim(out), c.normNumGroups(),
                        c.normEps(), 1.0));
            }
        }
        downsampler = addDownsample
                ? new Downsample2D(p, name + ".downsamplers.0", out, c.downsamplePadding()) : null;
    }

    NDArray forward(NDArray h, NDArray tembAct, Deque<NDArray> skips, boolean training, ActivationProbe probe) {
        for (int i = 0; i < resnets.size(); i++) {
            h = resnets.get(i).forward(h, tembAct, training);
            probe.record(name + ".resnets." + i, h);
            if (!attentions.isEmpty()) {
                h = attentions.get(i).forward(h);
                probe.record(name + ".attentions." + i, h);
            }
            skips.push(h);
        }
        if (downsampler != null) {
            h = downsampler.forward(h);
            skips.push(h);
        }
        probe.record(name, h);
        return h;
    }
}
