package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.SamplingListener;

/**
 * Runs a sampler over N starting noises in batches, each batch in its own NDManager, collecting
 * the results as floats. Image i draws its sampler noise from a stream of its own (derived from the
 * seed and i), so results do not depend on the batch size.
 */
final class SamplingRun {

    /** The first images' x₀ estimate (or x_t) at evenly spaced steps of the first batch. */
    static final class Trajectory {
        private final int images;
        private final int maxFrames;
        private final boolean predictedX0;
        private final List<float[]> frames = new ArrayList<>();

        Trajectory(int images, int maxFrames, boolean predictedX0) {
            this.images = images;
            this.maxFrames = maxFrames;
            this.predictedX0 = predictedX0;
        }

        int images() {
            return images;
        }

        List<float[]> frames() {
            return frames;
        }

        /** Whether step {@code step} of {@code total} is one of the (at most maxFrames) shown. */
        boolean shows(int step, int total) {
            if (total <= maxFrames || step == total - 1) {
                return true;
            }
            // step k is shown if it is the nearest step to one of maxFrames evenly spaced positions
            for (int j = 0; j < maxFrames; j++) {
                if (Math.round((double) j * (total - 1) / (maxFrames - 1)) == step) {
                    return true;
                }
            }
            return false;
        }

        void capture(int step, int total, NDArray x, NDArray x0) {
            if (!shows(step, total)) {
                return;
            }
            NDArray src = predictedX0 && x0 != null ? x0 : x;
            frames.add(src.get(new NDIndex("0:{}", images)).toFloatArray());
        }
    }

    /** The denoiser for images [from, to) (class-conditional models label each image). */
    @FunctionalInterface
    interface Denoisers {
        Denoiser forImages(int from, int to);
    }

    private final Sampler sampler;
    private final Denoisers denoisers;
    private final long seed;
    private final int batch;
    private final Progress progress;
    private final Trajectory trajectory;

    SamplingRun(Sampler sampler, Denoisers denoisers, long seed, int batch, Progress progress, Trajectory trajectory) {
        this.sampler = sampler;
        this.denoisers = denoisers;
        this.seed = seed;
        this.batch = batch;
        this.progress = progress;
        this.trajectory = trajectory;
    }

    Trajectory trajectory() {
        return trajectory;
    }

    /**
     * Why {@code n} images of {@code imageShape} cannot be sampled in this process, or null if they
     * can: a run holds x_T and the results as floats (and the noise while it is built), so it needs
     * about 3 · 4 bytes per pixel of heap, and Java arrays end at 2³¹ − 1 elements.
     */
    static String tooMany(long n, long[] imageShape, long maxHeapBytes) {
        long per = imageShape[0] * imageShape[1] * imageShape[2];
        double bytes = 3.0 * 4 * per * n;
        if (n * (double) per < Integer.MAX_VALUE && bytes < 0.8 * maxHeapBytes) {
            return null;
        }
        return String.format(java.util.Locale.ROOT, "-n %,d: %,d images of %dx%dx%d need %s of memory (this JVM may use %s);"
                + " use a smaller -n (at most about %,d here) and several runs with different --seed, or raise the heap with"
                + " D4J_JAVA_OPTS=-Xmx…", n, n, imageShape[0], imageShape[1], imageShape[2], bytes(bytes),
                bytes(maxHeapBytes), (long) Math.min(Integer.MAX_VALUE / per, 0.8 * maxHeapBytes / (12.0 * per)));
    }

    private static String bytes(double b) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
        int u = 0;
        while (b >= 1024 && u < units.length - 1) {
            b /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %s", b, units[u]);
    }

    /** Samples from every x_T in {@code xT} ([N, C, H, W]) and returns the results, NCHW floats. */
    float[] sample(NDArray xT) {
        long[] shape = xT.getShape().getShape();
        int n = (int) shape[0];
        int per = (int) (shape[1] * shape[2] * shape[3]);
        float[] all = xT.toFloatArray();
        float[] out = new float[n * per];
        int batches = (n + batch - 1) / batch;
        progress.start(n, batches);
        try {
            for (int b = 0; b < batches; b++) {
                int from = b * batch;
                int to = Math.min(n, from + batch);
                boolean first = b == 0;
                try (NDManager sub = xT.getManager().newSubManager()) {
                    NDArray x = sub.create(Arrays.copyOfRange(all, from * per, to * per),
                            new Shape(to - from, shape[1], shape[2], shape[3]));
                    SamplingListener listener = (step, total, t, xt, x0) -> {
                        if (first && trajectory != null) {
                            trajectory.capture(step, total, xt, x0);
                        }
                        progress.step(step, total, to - from);
                    };
                    NDArray result = sampler.sample(denoisers.forImages(from, to), x, perImageNoise(from, to), listener);
                    System.arraycopy(result.toFloatArray(), 0, out, from * per, (to - from) * per);
                }
            }
        } finally {
            progress.close();
        }
        return out;
    }

    /** A noise source whose row j is image (from + j)'s own stream, whatever the batch. */
    NoiseSource perImageNoise(int from, int to) {
        NoiseSource[] streams = new NoiseSource[to - from];
        for (int i = from; i < to; i++) {
            streams[i - from] = NoiseSource.seeded(streamSeed(seed, i));
        }
        return (manager, shape, index) -> {
            long[] s = shape.getShape();
            if (s.length == 0 || s[0] != streams.length) {
                throw new IllegalStateException("sampler asked for noise of shape " + Arrays.toString(s)
                        + " in a batch of " + streams.length);
            }
            long[] one = s.clone();
            one[0] = 1;
            NDList rows = new NDList(streams.length);
            for (NoiseSource src : streams) {
                rows.add(src.normal(manager, new Shape(one), index));
            }
            return NDArrays.concat(rows, 0);
        };
    }

    /** The seed of image i's sampler-noise stream (SplitMix64 finaliser of seed and i). */
    static long streamSeed(long seed, int image) {
        long z = seed + 0x632BE59BD9B4E019L * (image + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
