package org.diffusion4j.data;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import java.util.SplittableRandom;

/**
 * Turns an {@link ImageDataset} into training batches, each a pure function of (seed, step) so a
 * run resumed after a crash sees exactly the batches it would have seen.
 *
 * <h2>Step semantics</h2>
 *
 * With {@code N = dataset.size()} and batch size {@code B}, an epoch has
 * {@code batchesPerEpoch = floor(N / B)} batches: the last incomplete batch of each epoch is
 * dropped (as PyTorch's {@code drop_last=True}), so the {@code N mod B} images at the end of that
 * epoch's permutation are skipped in that epoch only. Global step {@code s} (0-based) belongs to
 * epoch {@code e = s / batchesPerEpoch} and takes positions
 * {@code [k*B, (k+1)*B)} of {@code permutation(e)}, where {@code k = s mod batchesPerEpoch}.
 *
 * <h2>Randomness</h2>
 *
 * <ul>
 *   <li>{@code permutation(e)}: Fisher&ndash;Yates over {@code 0..N-1} (for {@code i = N-1} down to
 *       1, swap {@code i} with {@code nextInt(i + 1)}) driven by
 *       {@code new java.util.Random(seed * 1_000_003L + e)}; the identity when shuffling is off.
 *   <li>Horizontal flips (if enabled): slot {@code j} of step {@code s} is flipped iff the
 *       {@code j}-th {@code nextBoolean()} of
 *       {@code new java.util.SplittableRandom(seed * 0x9E3779B97F4A7C15L + s)} is true (p = 0.5).
 * </ul>
 *
 * Pixels are mapped to {@code p / 127.5 - 1}, so 0 → -1 and 255 → 1 exactly. Each batch is
 * assembled in one {@code float[]} and handed to the engine as one NDArray (one copy, no per-sample
 * native calls). Thread-safe: instances are immutable apart from a one-epoch permutation cache.
 */
public final class Batcher {
    private static final float[] SCALE = new float[256];

    static {
        for (int p = 0; p < 256; p++) {
            SCALE[p] = (float) (p / 127.5 - 1.0);
        }
    }

    private final ImageDataset dataset;
    private final int batchSize;
    private final long seed;
    private final boolean shuffle;
    private final boolean randomFlip;
    private final int batchesPerEpoch;
    private volatile CachedPermutation cache;

    private static final class CachedPermutation {
        final long epoch;
        final int[] permutation;

        CachedPermutation(long epoch, int[] permutation) {
            this.epoch = epoch;
            this.permutation = permutation;
        }
    }

    private Batcher(Builder b) {
        this.dataset = b.dataset;
        this.batchSize = b.batchSize;
        this.seed = b.seed;
        this.shuffle = b.shuffle;
        this.randomFlip = b.randomFlip;
        this.batchesPerEpoch = dataset.size() / batchSize;
    }

    public static Builder builder(ImageDataset dataset) {
        return new Builder(dataset);
    }

    /** Maps a uint8 pixel to the model range: {@code p / 127.5 - 1}. */
    public static float toModelRange(int pixel) {
        return SCALE[pixel & 0xff];
    }

    /** Inverse of {@link #toModelRange}: {@code round((x + 1) * 127.5)} clamped to 0..255. */
    public static int toPixel(float x) {
        return (int) Math.max(0, Math.min(255, Math.round((x + 1.0) * 127.5)));
    }

    public ImageDataset dataset() {
        return dataset;
    }

    public int batchSize() {
        return batchSize;
    }

    public long seed() {
        return seed;
    }

    /** {@code floor(size / batchSize)}: full batches per epoch, the incomplete one is dropped. */
    public int batchesPerEpoch() {
        return batchesPerEpoch;
    }

    /** The epoch that global step {@code step} belongs to. */
    public long epochOf(long step) {
        checkStep(step);
        return step / batchesPerEpoch;
    }

    /** The order in which epoch {@code epoch} visits the data set (a fresh array). */
    public int[] permutation(long epoch) {
        return cachedPermutation(epoch).clone();
    }

    /** The data set indices of the batch at global step {@code step}, in batch order. */
    public int[] indicesAt(long step) {
        long epoch = epochOf(step);
        int k = (int) (step % batchesPerEpoch);
        int[] perm = cachedPermutation(epoch);
        int[] indices = new int[batchSize];
        System.arraycopy(perm, k * batchSize, indices, 0, batchSize);
        return indices;
    }

    /** Which slots of the batch at {@code step} are horizontally flipped (all false without flips). */
    public boolean[] flipsAt(long step) {
        checkStep(step);
        boolean[] flips = new boolean[batchSize];
        if (randomFlip) {
            SplittableRandom rng = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + step);
            for (int j = 0; j < batchSize; j++) {
                flips[j] = rng.nextBoolean();
            }
        }
        return flips;
    }

    /**
     * Writes the batch at {@code step} into caller arrays: {@code images} (length
     * {@code B*C*H*W}, NCHW, in [-1, 1]) and {@code labels} (length {@code B}, -1 if unlabeled).
     */
    public void fill(long step, float[] images, long[] labels) {
        int[] indices = indicesAt(step);
        boolean[] flips = flipsAt(step);
        int w = dataset.width();
        int rows = dataset.channels() * dataset.height();
        int imageBytes = dataset.imageBytes();
        if (images.length != batchSize * imageBytes || labels.length != batchSize) {
            throw new IllegalArgumentException("fill needs images[" + batchSize * imageBytes + "] and labels["
                    + batchSize + "], got " + images.length + " and " + labels.length);
        }
        byte[] pixels = dataset.pixels();
        for (int j = 0; j < batchSize; j++) {
            int src = indices[j] * imageBytes;
            int dst = j * imageBytes;
            for (int r = 0; r < rows; r++) {
                int rowSrc = src + r * w;
                int rowDst = dst + r * w;
                for (int x = 0; x < w; x++) {
                    int from = flips[j] ? rowSrc + w - 1 - x : rowSrc + x;
                    images[rowDst + x] = SCALE[pixels[from] & 0xff];
                }
            }
            labels[j] = dataset.label(indices[j]);
        }
    }

    /**
     * The batch at global step {@code step}, created in {@code manager} as one images NDArray and
     * one labels NDArray. Open {@code manager} per step (a sub-manager) so memory stays flat.
     */
    public Batch batchAt(NDManager manager, long step) {
        float[] images = new float[batchSize * dataset.imageBytes()];
        long[] labels = new long[batchSize];
        fill(step, images, labels);
        NDArray x = manager.create(images, new Shape(batchSize, dataset.channels(), dataset.height(), dataset.width()));
        NDArray y = manager.create(labels, new Shape(batchSize));
        return new Batch(x, y, step, epochOf(step), indicesAt(step));
    }

    private int[] cachedPermutation(long epoch) {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
        CachedPermutation c = cache;
        if (c == null || c.epoch != epoch) {
            c = new CachedPermutation(epoch, computePermutation(epoch));
            cache = c;
        }
        return c.permutation;
    }

    private int[] computePermutation(long epoch) {
        int n = dataset.size();
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        if (shuffle) {
            Random rng = new Random(seed * 1_000_003L + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = perm[i];
                perm[i] = perm[j];
                perm[j] = t;
            }
        }
        return perm;
    }

    private static void checkStep(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
    }

    /** Options: batch size (required), seed (default 0), shuffle (default on), random flip (default off). */
    public static final class Builder {
        private final ImageDataset dataset;
        private int batchSize;
        private long seed;
        private boolean shuffle = true;
        private boolean randomFlip;

        private Builder(ImageDataset dataset) {
            this.dataset = dataset;
        }

        public Builder setBatchSize(int batchSize) {
            this.batchSize = batchSize;
            return this;
        }

        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        public Builder optShuffle(boolean shuffle) {
            this.shuffle = shuffle;
            return this;
        }

        /** Flip each image left-right with probability 0.5 (seeded, see the class comment). */
        public Builder optRandomHorizontalFlip(boolean randomFlip) {
            this.randomFlip = randomFlip;
            return this;
        }

        public Batcher build() {
            if (batchSize < 1) {
                throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
            }
            if (dataset.size() < batchSize) {
                throw new IllegalArgumentException(dataset.name() + ": " + dataset.size() + " images, fewer than one "
                        + "batch of " + batchSize + " (incomplete batches are dropped); use a smaller batch size");
            }
            return new Batcher(this);
        }
    }
}
