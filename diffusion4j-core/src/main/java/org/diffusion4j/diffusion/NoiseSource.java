package org.diffusion4j.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Where a stochastic sampler's fresh Gaussian noise comes from. Draws are numbered, so a sampler
 * is a pure function of (denoiser, x_T, noise source): the same seed gives the same images, and a
 * stored noise sequence (the diffusers fixtures) can be replayed.
 */
public interface NoiseSource {

    /** The {@code index}-th standard normal draw of the given shape, in {@code manager}. */
    NDArray normal(NDManager manager, Shape shape, long index);

    /**
     * Noise computed in Java from (seed, index) with {@link SplittableRandom}: independent of the
     * engine's global generator, of threads and of what ran before.
     */
    static NoiseSource seeded(long seed) {
        return (manager, shape, index) -> {
            SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 1);
            float[] v = new float[Math.toIntExact(shape.size())];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) gaussian(r);
            }
            return manager.create(v, shape);
        };
    }

    /**
     * The SplitMix64 finaliser (Steele, Lea &amp; Flood 2014): a well-mixed seed from a sum of
     * (seed, stream, index) terms. Training's random streams and each sampled image's own noise
     * stream derive their seeds with it.
     */
    static long splitMix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Standard normal by the polar (Marsaglia) method. */
    private static double gaussian(SplittableRandom r) {
        double u;
        double v;
        double s;
        do {
            u = 2 * r.nextDouble() - 1;
            v = 2 * r.nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        return u * Math.sqrt(-2 * Math.log(s) / s);
    }
}
