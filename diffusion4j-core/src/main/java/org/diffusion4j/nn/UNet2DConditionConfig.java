package org.diffusion4j.nn;

import java.util.List;

/**
 * The architecture of a {@link UNet2DConditionModel}: the fields of diffusers' {@code UNet2DConditionModel}
 * {@code config.json} this implementation computes (Stable Diffusion's text-conditional U-Net: positional time
 * embedding, SiLU, {@code CrossAttnDownBlock2D}/{@code DownBlock2D}, {@code UNetMidBlock2DCrossAttn},
 * {@code UpBlock2D}/{@code CrossAttnUpBlock2D}, 1×1 {@code proj_in}/{@code proj_out}). Validated on construction;
 * read from {@code config.json} by {@code diffusers.UNet2DConditionFolder}.
 *
 * @param crossAttnDown per level, whether the down block is a {@code CrossAttnDownBlock2D}
 * @param crossAttnUp per up block (deepest first), whether it is a {@code CrossAttnUpBlock2D}
 * @param heads attention heads of every transformer (diffusers' {@code attention_head_dim}, which it uses as a
 *     head count when {@code num_attention_heads} is null)
 * @param crossAttentionDim D, the width of the text encoder's hidden states
 */
public record UNet2DConditionConfig(int sampleSize, int inChannels, int outChannels, int[] blockOutChannels,
        List<Boolean> crossAttnDown, List<Boolean> crossAttnUp, int layersPerBlock, int heads, int crossAttentionDim,
        int normNumGroups, double normEps, boolean flipSinToCos, double freqShift, int downsamplePadding,
        double midBlockScaleFactor, int transformerLayersPerBlock) {

    public UNet2DConditionConfig {
        blockOutChannels = blockOutChannels.clone();
        crossAttnDown = List.copyOf(crossAttnDown);
        crossAttnUp = List.copyOf(crossAttnUp);
        int levels = blockOutChannels.length;
        if (levels < 1 || levels > 8) {
            throw new IllegalArgumentException("field \"block_out_channels\" must list 1 to 8 widths, got " + levels);
        }
        if (crossAttnDown.size() != levels || crossAttnUp.size() != levels) {
            throw new IllegalArgumentException("fields \"down_block_types\" and \"up_block_types\" need one entry per entry of "
                    + "block_out_channels (" + levels + ")");
        }
        for (int ch : blockOutChannels) {
            if (ch < 1 || ch > 16384 || ch % normNumGroups != 0 || ch % heads != 0) {
                throw new IllegalArgumentException("field \"block_out_channels\" = " + ch + " must be in [1, 16384] and divide by "
                        + "norm_num_groups " + normNumGroups + " and the " + heads + " attention heads");
            }
        }
        check("sample_size", sampleSize, 1, 8192);
        check("in_channels", inChannels, 1, 16384);
        check("out_channels", outChannels, 1, 16384);
        check("layers_per_block", layersPerBlock, 1, 64);
        check("attention_head_dim", heads, 1, 1024);
        check("cross_attention_dim", crossAttentionDim, 1, 16384);
        check("norm_num_groups", normNumGroups, 1, 16384);
        check("transformer_layers_per_block", transformerLayersPerBlock, 1, 64);
        if (downsamplePadding != 1) {
            throw new IllegalArgumentException("field \"downsample_padding\" = " + downsamplePadding + " is not supported; supported: 1");
        }
        if (!(normEps > 0 && normEps < 1)) {
            throw new IllegalArgumentException("field \"norm_eps\" = " + normEps + " must be in (0, 1)");
        }
    }

    private static void check(String field, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException("field \"" + field + "\" = " + v + " must be in [" + min + ", " + max + "]");
        }
    }

    public int levels() {
        return blockOutChannels.length;
    }

    public int blockOutChannels(int level) {
        return blockOutChannels[level];
    }

    @Override
    public int[] blockOutChannels() {
        return blockOutChannels.clone();
    }

    /** The time embedding width: 4 × the first level's channels. */
    public int timeEmbedDim() {
        return 4 * blockOutChannels[0];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UNet2DConditionConfig c && java.util.Arrays.equals(blockOutChannels, c.blockOutChannels)
                && toString().equals(c.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    @Override
    public String toString() {
        return "UNet2DConditionConfig[sample_size=" + sampleSize + ", in=" + inChannels + ", out=" + outChannels
                + ", block_out_channels=" + java.util.Arrays.toString(blockOutChannels) + ", cross_attn_down=" + crossAttnDown
                + ", cross_attn_up=" + crossAttnUp + ", layers_per_block=" + layersPerBlock + ", heads=" + heads
                + ", cross_attention_dim=" + crossAttentionDim + ", norm_num_groups=" + normNumGroups + ", norm_eps=" + normEps
                + ", flip_sin_to_cos=" + flipSinToCos + ", freq_shift=" + freqShift + ", mid_block_scale_factor="
                + midBlockScaleFactor + ", transformer_layers_per_block=" + transformerLayersPerBlock + "]";
    }
}
