package org.diffusion4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.diffusion4j.data.Split;
import org.diffusion4j.nn.FashionClassifier;

/**
 * Runs a {@link FeatureExtractor} over many images in batches: all features as one array, or
 * their {@link GaussianStats} streamed without keeping the features.
 *
 * <p>{@link #main(String[])} recomputes the shipped reference statistics of the Fashion-MNIST test
 * set:
 * <pre>
 *   java -Dai.djl.offline=true -cp … org.diffusion4j.eval.FeatureStats \
 *       --model models/fashion-classifier --split test \
 *       --out models/fashion-classifier/fmnist_test_stats.safetensors
 * </pre>
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

    /**
     * Computes and writes the reference statistics of a Fashion-MNIST split with a trained
     * {@link FashionClassifier}. Options: {@code --model DIR} (default
     * {@code models/fashion-classifier}), {@code --data DIR}, {@code --split train|test} (default
     * test), {@code --out FILE} (default {@code MODEL/fmnist_test_stats.safetensors}).
     */
    public static void main(String[] args) throws IOException {
        Path model = Path.of("models/fashion-classifier");
        Path data = ClassifierTrainer.FASHION_MNIST_DIR;
        Split split = Split.TEST;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--data" -> data = Path.of(args[++i]);
                case "--split" -> split = Split.parse(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; known: --model --data --split --out");
            }
        }
        if (out == null) {
            out = model.resolve("fmnist_" + split + "_stats.safetensors");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            FashionClassifier classifier = FashionClassifier.load(model, manager);
            ClassifierTrainer.Data set = ClassifierTrainer.Data.fashionMnist(data, split, manager);
            long t0 = System.nanoTime();
            GaussianStats stats = gaussian(classifier, set.images(), DEFAULT_BATCH);
            stats.save(out, Map.of(
                    "feature_extractor", classifier.name(),
                    "layer", "fc1 (post-ReLU, penultimate)",
                    "dataset", "fashion-mnist/" + split,
                    "images", Integer.toString(set.size())));
            System.out.printf(Locale.ROOT, "%s: %d images, D=%d, tr(Sigma)=%.4f, %.1f s -> %s%n",
                    split, stats.count(), stats.dim(), trace(stats), (System.nanoTime() - t0) / 1e9, out);
        }
    }

    private static double trace(GaussianStats s) {
        double[][] c = s.covariance();
        double t = 0;
        for (int i = 0; i < c.length; i++) {
            t += c[i][i];
        }
        return t;
    }
}
