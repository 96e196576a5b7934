package org.diffusion4j.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;
import java.util.function.LongPredicate;
import org.diffusion4j.data.Batch;

/**
 * Structured synthetic images for tests: each image is a horizontal or vertical stripe pattern of a
 * random phase, values in [-1, 1]; the batch at step s is a pure function of (seed, s). Steps for
 * which {@code poisoned} holds get NaN pixels.
 */
public final class SyntheticData implements TrainingData {
    private final int channels;
    private final int size;
    private final int batchSize;
    private final long seed;
    private final LongPredicate poisoned;

    public SyntheticData(int channels, int size, int batchSize, long seed) {
        this(channels, size, batchSize, seed, s -> false);
    }

    public SyntheticData(int channels, int size, int batchSize, long seed, LongPredicate poisoned) {
        this.channels = channels;
        this.size = size;
        this.batchSize = batchSize;
        this.seed = seed;
        this.poisoned = poisoned;
    }

    @Override
    public String name() {
        return "synthetic-stripes";
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return size;
    }

    @Override
    public int width() {
        return size;
    }

    @Override
    public int batchSize() {
        return batchSize;
    }

    @Override
    public int numClasses() {
        return 2;
    }

    @Override
    public Batch batchAt(NDManager manager, long step) {
        SplittableRandom r = new SplittableRandom(seed * 31 + step);
        float[] x = new float[batchSize * channels * size * size];
        long[] labels = new long[batchSize];
        boolean poison = poisoned.test(step);
        for (int b = 0; b < batchSize; b++) {
            boolean vertical = r.nextBoolean();
            int phase = r.nextInt(4);
            labels[b] = vertical ? 1 : 0;
            for (int c = 0; c < channels; c++) {
                for (int i = 0; i < size; i++) {
                    for (int j = 0; j < size; j++) {
                        int k = vertical ? j : i;
                        x[((b * channels + c) * size + i) * size + j] = poison ? Float.NaN : ((k + phase) / 2) % 2 == 0 ? 1f : -1f;
                    }
                }
            }
        }
        return Batch.of(manager.create(x, new Shape(batchSize, channels, size, size)),
                manager.create(labels, new Shape(batchSize)), step);
    }
}
