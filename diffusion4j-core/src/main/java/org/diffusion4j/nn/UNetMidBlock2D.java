package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;

/**
 * diffusers' {@code UNetMidBlock2D} (one layer): residual block, self-attention (when
 * {@code add_attention}), residual block, at the lowest resolution. Residual sums and the attention
 * output are divided by {@code mid_block_scale_factor}.
 */
final class UNetMidBlock2D {
    private static final String NAME = "mid_block";
    private final ResnetBlock2D resnet0;
    private final Attention attention;
    private final ResnetBlock2D resnet1;

    UNetMidBlock2D(ParameterFactory p, UNet2DConfig c) {
        int channels = c.blockOutChannels(c.numLevels() - 1);
        double scale = c.midBlockScaleFactor();
        resnet0 = new ResnetBlock2D(p, NAME + ".resnets.0", channels, channels, c.timeEmbedDim(), c.normNumGroups(),
                c.normEps(), c.dropout(), scale);
        attention = c.addAttention()
                ? new Attention(p, NAME + ".attentions.0", channels, c.headDim(channels), c.midAttentionGroups(),
                        c.normEps(), scale)
                : null;
        resnet1 = new ResnetBlock2D(p, NAME + ".resnets.1", channels, channels, c.timeEmbedDim(), c.normNumGroups(),
                c.normEps(), c.dropout(), scale);
    }

    NDArray forward(NDArray h, NDArray tembAct, boolean training, ActivationProbe probe) {
        h = resnet0.forward(h, tembAct, training);
        probe.record(NAME + ".resnets.0", h);
        if (attention != null) {
            h = attention.forward(h);
            probe.record(NAME + ".attentions.0", h);
        }
        h = resnet1.forward(h, tembAct, training);
        probe.record(NAME, h);
        return h;
    }
}
