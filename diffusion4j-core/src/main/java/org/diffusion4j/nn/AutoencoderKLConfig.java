package org.diffusion4j.nn;

/**
 * The architecture of an {@link AutoencoderKL}: the fields of diffusers' {@code AutoencoderKL} {@code config.json}
 * this implementation computes (DownEncoderBlock2D / UpDecoderBlock2D, SiLU, mid-block attention, quant_conv and
 * post_quant_conv). Validated on construction; read by {@code diffusers.AutoencoderKLFolder}.
 *
 * @param scalingFactor the latents' scale (LDM Sec. 4.3.2): diffusion runs on {@code scaling_factor · z}
 */
public record AutoencoderKLConfig(int inChannels, int outChannels, int latentChannels, int[] blockOutChannels,
        int layersPerBlock, int normNumGroups, int sampleSize, double scalingFactor, boolean midBlockAttention) {

    public AutoencoderKLConfig {
        blockOutChannels = blockOutChannels.clone();
        if (blockOutChannels.length < 1 || blockOutChannels.length > 8) {
            throw new IllegalArgumentException("field \"block_out_channels\" must list 1 to 8 widths, got " + blockOutChannels.length);
        }
        for (int ch : blockOutChannels) {
            if (ch < 1 || ch > 16384 || ch % normNumGroups != 0) {
                throw new IllegalArgumentException("field \"block_out_channels\" = " + ch + " must be in [1, 16384] and divide by "
                        + "norm_num_groups " + normNumGroups);
            }
        }
        for (int v : new int[] {inChannels, outChannels, latentChannels, layersPerBlock, normNumGroups, sampleSize}) {
            if (v < 1 || v > 16384) {
                throw new IllegalArgumentException("in_channels, out_channels, latent_channels, layers_per_block, norm_num_groups "
                        + "and sample_size must be in [1, 16384]");
            }
        }
        if (!(scalingFactor > 0) || Double.isInfinite(scalingFactor)) {
            throw new IllegalArgumentException("field \"scaling_factor\" = " + scalingFactor + " must be a positive number");
        }
    }

    @Override
    public int[] blockOutChannels() {
        return blockOutChannels.clone();
    }

    /** This architecture with another {@code scaling_factor} (measured on the data after training). */
    public AutoencoderKLConfig withScalingFactor(double factor) {
        return new AutoencoderKLConfig(inChannels, outChannels, latentChannels, blockOutChannels, layersPerBlock, normNumGroups,
                sampleSize, factor, midBlockAttention);
    }

    public int levels() {
        return blockOutChannels.length;
    }

    /** The latents are this many times smaller than the image on each side: 2^(levels − 1). */
    public int downsampleFactor() {
        return 1 << (blockOutChannels.length - 1);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AutoencoderKLConfig c && java.util.Arrays.equals(blockOutChannels, c.blockOutChannels)
                && inChannels == c.inChannels && outChannels == c.outChannels && latentChannels == c.latentChannels
                && layersPerBlock == c.layersPerBlock && normNumGroups == c.normNumGroups && sampleSize == c.sampleSize
                && scalingFactor == c.scalingFactor && midBlockAttention == c.midBlockAttention;
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(blockOutChannels) * 31 + latentChannels;
    }
}
