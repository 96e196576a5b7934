package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * diffusers' {@code UpBlock2D} and {@code AttnUpBlock2D}: {@code layers_per_block + 1} residual
 * blocks, each fed the running activation concatenated (along channels) with the most recent skip
 * connection (each followed by self-attention in the Attn variant), then nearest ×2 upsampling and
 * a conv except at the last level.
 *
 * <p>Channel bookkeeping (diffusers' {@code res_skip_channels}): block j receives
 * {@code (j == 0 ? prev_output_channel : out) + (j == last ? in : out)} channels.
 */
final class UpBlock2D {
    private final String name;
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final List<Attention> attentions = new ArrayList<>();
    private final Upsample2D upsampler;

    UpBlock2D(ParameterFactory p, String name, UNet2DConfig c, int in, int out, int prevOut, boolean attention,
            boolean addUpsample) {
        this.name = name;
        int layers = c.layersPerBlock() + 1;
        for (int j = 0; j < layers; j++) {
            int resSkipChannels = j == layers - 1 ? in : out;
            int resnetIn = j == 0 ? prevOut : out;
            resnets.add(new ResnetBlock2D(p, name + ".resnets." + j, resnetIn + resSkipChannels, out,
                    c.timeEmbedDim(), c.normNumGroups(), c.normEps(), c.dropout(), 1.0));
            if (attention) {
                attentions.add(new Attention(p, name + ".attentions." + j, out, c.headDim(out), c.normNumGroups(),
                        c.normEps(), 1.0));
            }
        }
        upsampler = addUpsample ? new Upsample2D(p, name + ".upsamplers.0", out) : null;
    }

    NDArray forward(NDArray h, NDArray tembAct, Deque<NDArray> skips, boolean training, ActivationProbe probe) {
        for (int j = 0; j < resnets.size(); j++) {
            h = resnets.get(j).forward(h.concat(skips.pop(), 1), tembAct, training);
            probe.record(name + ".resnets." + j, h);
            if (!attentions.isEmpty()) {
                h = attentions.get(j).forward(h);
                probe.record(name + ".attentions." + j, h);
            }
        }
        if (upsampler != null) {
            h = upsampler.forward(h);
        }
        probe.record(name, h);
        return h;
    }
}
