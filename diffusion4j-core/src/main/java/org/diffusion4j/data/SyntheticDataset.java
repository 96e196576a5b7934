package org.diffusion4j.data;

import java.util.List;
import java.util.SplittableRandom;

/** Tiny generated data sets for tests and smoke runs; deterministic in their seed. */
public final class SyntheticDataset {
    private SyntheticDataset() {
    }

    /**
     * Two classes of black-and-white stripes: label 0 {@code "horizontal"}, 1 {@code "vertical"}
     * (alternating by index), each with a random period 2..4 and phase. Easy to learn, easy to see.
     */
    public static ArrayImageDataset stripes(int size, int channels, int height, int width, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int plane = height * width;
        byte[] pixels = new byte[size * channels * plane];
        int[] labels = new int[size];
        for (int n = 0; n < size; n++) {
            labels[n] = n % 2;
            int period = 2 + rng.nextInt(3);
            int phase = rng.nextInt(period);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int t = (labels[n] == 0 ? y : x) + phase;
                    byte v = (byte) ((t % period) < period / 2.0 ? 255 : 0);
                    for (int c = 0; c < channels; c++) {
                        pixels[(n * channels + c) * plane + y * width + x] = v;
                    }
                }
            }
        }
        return new ArrayImageDataset("stripes", channels, height, width, pixels, labels,
                List.of("horizontal", "vertical"));
    }

    /** Unlabeled uniform noise, every byte independent. */
    public static ArrayImageDataset noise(int size, int channels, int height, int width, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] pixels = new byte[size * channels * height * width];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) rng.nextInt(256);
        }
        return new ArrayImageDataset("noise", channels, height, width, pixels, null, List.of());
    }
}
