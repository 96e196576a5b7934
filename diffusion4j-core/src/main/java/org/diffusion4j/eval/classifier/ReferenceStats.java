package org.diffusion4j.eval.classifier;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.diffusion4j.data.Split;
import org.diffusion4j.eval.FeatureStats;
import org.diffusion4j.eval.GaussianStats;

/**
 * The reference statistics FD compares with: the Gaussian (mean, covariance) of a trained
 * {@link FashionClassifier}'s features over a Fashion-MNIST split, written as safetensors with the
 * extractor, layer, split and image count in the metadata ({@code diffusion4j train-classifier}
 * writes the test split's as {@code fmnist_test_stats.safetensors}).
 */
public final class ReferenceStats {

    private ReferenceStats() {}

    /**
     * Computes the statistics of {@code split} of the Fashion-MNIST IDX files in {@code data} with the
     * classifier in {@code model} and writes them to {@code out}; one summary line goes to {@code log}.
     */
    public static GaussianStats write(Path model, Path data, Split split, Path out, PrintStream log) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            FashionClassifier classifier = FashionClassifier.load(model, manager);
            ClassifierTrainer.Data set = ClassifierTrainer.Data.fashionMnist(data, split, manager);
            long t0 = System.nanoTime();
            GaussianStats stats = FeatureStats.gaussian(classifier, set.images(), FeatureStats.DEFAULT_BATCH);
            stats.save(out, Map.of(
                    "feature_extractor", classifier.name(),
                    "layer", "fc1 (post-ReLU, penultimate)",
                    "dataset", "fashion-mnist/" + split,
                    "images", Integer.toString(set.size())));
            log.printf(Locale.ROOT, "%s: %d images, D=%d, tr(Sigma)=%.4f, %.1f s -> %s%n",
                    split, stats.count(), stats.dim(), trace(stats), (System.nanoTime() - t0) / 1e9, out);
            return stats;
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
