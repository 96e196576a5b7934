package org.diffusion4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * Runs a {@link FeatureExtractor} over many images in batches: all features as one array, or
 * their {@link GaussianStats} streamed without keeping the features.
 * The reference statistics of a data set are written by {@code eval.classifier.ReferenceStats}.
 */
public final class FeatureStats {

    /** Images per forward pass by default. */
    public static final int DEFAULT_BATCH = 500;

    private FeatureStats() {}

    /** Gaussian statistics of the features of all {@code images} (N, C, H, W). */
    public static GaussianStats gaussian(FeatureExtractor extractor, NDArray images, int batchSize) {
        GaussianStats.Accumulator acc = GaussianStats.accumulator(extractor.featureDim());
        forEachBatch(images, batchSize, batch -> acc.add(extractor.features(batch)));
        return acc.build();
    }

    /** Features of all {@code images} as one (N, D) array in {@code images}' manager. */
    public static NDArray features(FeatureExtractor extractor, NDArray images, int batchSize) {
        NDManager owner = images.getManager();
        NDList parts = new NDList();
        try (NDManager sub = owner.newSubManager()) {
            forEachBatch(images, batchSize, batch -> {
                NDArray f = extractor.features(batch);
                f.attach(sub);
                parts.add(f);
            });
            NDArray all = NDArrays.concat(parts, 0);
            all.attach(owner);
            return all;
        }
    }

    /** Class posteriors of all {@code images} as one (N, numClasses) array in {@code images}' manager. */
    public static NDArray classProbabilities(FeatureExtractor extractor, NDArray images, int batchSize) {
        NDManager owner = images.getManager();
        NDList parts = new NDList();
        try (NDManager sub = owner.newSubManager()) {
            forEachBatch(images, batchSize, batch -> {
                NDArray p = extractor.classProbabilities(batch);
                p.attach(sub);
                parts.add(p);
            });
            NDArray all = NDArrays.concat(parts, 0);
            all.attach(owner);
            return all;
        }
    }

    private interface BatchConsumer {
        void accept(NDArray batch);
    }

    /** Calls {@code consumer} with consecutive slices; each slice lives in its own sub-manager. */
    private static void forEachBatch(NDArray images, int batchSize, BatchConsumer consumer) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("FeatureStats: batchSize must be positive, got " + batchSize);
        }
        long n = images.getShape().get(0);
        if (n == 0) {
            throw new IllegalArgumentException("FeatureStats: no images");
        }
        for (long start = 0; start < n; start += batchSize) {
            long end = Math.min(n, start + batchSize);
            try (NDManager sub = images.getManager().newSubManager()) {
                NDArray batch = images.get(start + ":" + end);
                batch.attach(sub);
                consumer.accept(batch);
            }
        }
    }
}
