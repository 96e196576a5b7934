package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.schedule.NoiseSchedule;

/**
 * The low-resolution condition of a cascade's super-resolution stage (SR3, Saharia et al. 2021; CDM, Ho et al. 2022):
 * the high-resolution image averaged down by a factor f, corrupted by conditioning augmentation — the forward process
 * at a small noise level s, √ᾱ_s x + √(1−ᾱ_s) ε (CDM Sec. 4.1, "Gaussian conditioning augmentation") — and brought
 * back to the high resolution by nearest-neighbour upsampling, to be concatenated to x_t. The level s is also given to
 * the network (as a class label), so at sampling time it knows how much the condition was corrupted.
 */
public final class LowResolution {

    private LowResolution() {}

    /** Box-filter downsampling of [B, C, H, W] by f (the mean of each f×f block); H and W must divide by f. */
    public static NDArray downsample(NDArray x, int f) {
        long[] s = x.getShape().getShape();
        if (s.length != 4 || s[2] % f != 0 || s[3] % f != 0) {
            throw new IllegalArgumentException("cannot downsample " + x.getShape() + " by " + f + ": height and width must divide by it");
        }
        return x.reshape(s[0], s[1], s[2] / f, f, s[3] / f, f).mean(new int[] {5}).mean(new int[] {3});
    }

    /** Nearest-neighbour upsampling of [B, C, h, w] by f: each pixel becomes an f×f block. */
    public static NDArray upsample(NDArray x, int f) {
        return x.repeat(2, f).repeat(3, f);
    }

    /**
     * Conditioning augmentation: image i of {@code low} ([B, C, h, w]) noised to level {@code levels[i]} with
     * {@code epsilon}, √ᾱ_s x + √(1−ᾱ_s) ε (Eq. 4 of Ho et al. 2020 at t = s); a level of −1 leaves the image as it is.
     */
    public static NDArray augment(NoiseSchedule schedule, NDArray low, int[] levels, NDArray epsilon) {
        long b = low.getShape().get(0);
        if (levels.length != b) {
            throw new IllegalArgumentException(levels.length + " noise levels for " + b + " images");
        }
        float[] signal = new float[levels.length];
        float[] noise = new float[levels.length];
        for (int i = 0; i < levels.length; i++) {
            double a = schedule.alphaCumprodOrOne(levels[i]);
            signal[i] = (float) Math.sqrt(a);
            noise[i] = (float) Math.sqrt(1 - a);
        }
        NDArray sa = low.getManager().create(signal).reshape(b, 1, 1, 1);
        NDArray sn = low.getManager().create(noise).reshape(b, 1, 1, 1);
        return low.mul(sa).add(epsilon.mul(sn));
    }
}
