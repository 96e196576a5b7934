package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Locale;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.SamplingListener;

/**
 * Runs a sampler over N starting noises in batches, each batch in its own NDManager, collecting the
 * results as floats. Image i draws its sampler noise from a stream of its own (derived from the seed
 * and i), so results do not depend on the batch size.
 */
public final class BatchedSampling {

    /** The denoiser for images [from, to) (class-conditional models label each image). */
    @FunctionalInterface
    public interface Denoisers {
        Denoiser forImages(int from, int to);
    }

    /** How a batch of images [from, to) is made from its x_T: plain sampling, or an {@link ImageEdit}. */
    @FunctionalInterface
    public interface Generation {
        NDArray run(Denoiser denoiser, NDArray xT, int from, int to, NoiseSource noise, SamplingListener listener);
    }

    private final Generation generation;
    private final Denoisers denoisers;
    private final long seed;
    private final int batch;

    /** Samples with {@code sampler}, {@code batch} images per network call, noise streams from {@code seed}. */
    public BatchedSampling(Sampler sampler, Denoisers denoisers, long seed, int batch) {
        this((d, xT, from, to, noise, listener) -> sampler.sample(d, xT, noise, listener), denoisers, seed, batch);
    }

    /** Makes each batch with {@code generation}, {@code batch} images per network call, noise streams from {@code seed}. */
    public BatchedSampling(Generation generation, Denoisers denoisers, long seed, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + batch);
        }
        this.generation = generation;
        this.denoisers = denoisers;
        this.seed = seed;
        this.batch = batch;
    }

    /** Samples from every x_T in {@code xT} ([N, C, H, W]) and returns the results, NCHW floats. */
    public float[] sample(NDArray xT, SampleListener listener) {
        return sample(xT, 0, listener);
    }

    /**
     * Samples from every x_T in {@code xT} ([N, C, H, W]), whose row j is image {@code first + j} of a
     * larger request: the denoisers, the generation and the sampler-noise streams are asked for images
     * [first + from, first + to), so rows a..b-1 of a whole run equal a run of its images [a, b). The
     * listener sees batch positions within {@code xT}.
     */
    public float[] sample(NDArray xT, int first, SampleListener listener) {
        if (first < 0) {
            throw new IllegalArgumentException("the first image index must be >= 0, got " + first);
        }
        long[] shape = xT.getShape().getShape();
        int n = (int) shape[0];
        int per = (int) (shape[1] * shape[2] * shape[3]);
        float[] all = xT.toFloatArray();
        float[] out = new float[n * per];
        int batches = (n + batch - 1) / batch;
        listener.started(n, batches);
        try {
            for (int b = 0; b < batches; b++) {
                int index = b;
                int from = b * batch;
                int to = Math.min(n, from + batch);
                try (NDManager sub = xT.getManager().newSubManager()) {
                    NDArray x = sub.create(Arrays.copyOfRange(all, from * per, to * per),
                            new Shape(to - from, shape[1], shape[2], shape[3]));
                    SamplingListener steps = (step, total, t, xt, x0) -> listener.step(index, from, to, step, total, xt, x0);
                    int a = first + from;
                    int z = first + to;
                    NDArray result = generation.run(denoisers.forImages(a, z), x, a, z, perImageNoise(seed, a, z), steps);
                    System.arraycopy(result.toFloatArray(), 0, out, from * per, (to - from) * per);
                }
            }
        } finally {
            listener.finished();
        }
        return out;
    }

    /** A noise source whose row j is image (from + j)'s own stream, whatever the batch. */
    public static NoiseSource perImageNoise(long seed, int from, int to) {
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

    /** The seed of image i's sampler-noise stream. */
    static long streamSeed(long seed, int image) {
        return NoiseSource.splitMix64(seed + 0x632BE59BD9B4E019L * (image + 1L));
    }

    /** x_T for n images: image i is draw i of {@code NoiseSource.seeded(seed)}, shape [n, C, H, W]. */
    public static NDArray seededNoise(NDManager manager, int n, long[] imageShape, long seed) {
        return seededNoise(manager, 0, n, imageShape, seed);
    }

    /** x_T for images [first, first + n): row j is draw first + j of {@code NoiseSource.seeded(seed)}, shape [n, C, H, W]. */
    public static NDArray seededNoise(NDManager manager, int first, int n, long[] imageShape, long seed) {
        NoiseSource source = NoiseSource.seeded(seed);
        NDList draws = new NDList(n);
        Shape one = new Shape(1, imageShape[0], imageShape[1], imageShape[2]);
        for (int i = 0; i < n; i++) {
            draws.add(source.normal(manager, one, first + (long) i));
        }
        NDArray xT = NDArrays.concat(draws, 0);
        draws.close();
        return xT;
    }

    /**
     * Why {@code n} images of {@code imageShape} cannot be sampled in this process, or null if they
     * can: a run holds x_T and the results as floats (and the noise while it is built), so it needs
     * about 3 · 4 bytes per pixel of heap, and Java arrays end at 2³¹ − 1 elements.
     */
    public static String tooMany(long n, long[] imageShape, long maxHeapBytes) {
        long per = imageShape[0] * imageShape[1] * imageShape[2];
        double bytes = 3.0 * 4 * per * n;
        if (n * (double) per < Integer.MAX_VALUE && bytes < 0.8 * maxHeapBytes) {
            return null;
        }
        return String.format(Locale.ROOT, "-n %,d: %,d images of %dx%dx%d need %s of memory (this JVM may use %s);"
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
        return String.format(Locale.ROOT, "%.1f %s", b, units[u]);
    }
}
