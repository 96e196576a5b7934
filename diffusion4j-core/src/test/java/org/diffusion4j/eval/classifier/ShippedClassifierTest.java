package org.diffusion4j.eval.classifier;

import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.FrechetDistance;
import org.diffusion4j.eval.FeatureStats;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.diffusion4j.data.Split;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The classifier and reference statistics committed under {@code models/fashion-classifier}. */
public class ShippedClassifierTest {

    public static final Path MODEL = Path.of(System.getProperty("diffusion4j.root", ".."))
            .resolve("models/fashion-classifier");

    @Test
    void shippedClassifierIsAccurateAndItsStatisticsAreReproducible() throws IOException {
        assumeTrue(Files.exists(MODEL.resolve(FashionClassifier.WEIGHTS_FILE)), "no shipped model at " + MODEL);
        ClassifierTrainerTest.assumeFashionMnist();
        try (NDManager m = NDManager.newBaseManager()) {
            FashionClassifier model = FashionClassifier.load(MODEL, m);
            ClassifierTrainer.Data test = ClassifierTrainer.Data.fashionMnist(ClassifierTrainerTest.DATA, Split.TEST, m);
            int n = 2000;
            NDArray images = test.images().get("0:" + n);
            ClassifierTrainer.Data head = new ClassifierTrainer.Data(images, Arrays.copyOf(test.labels(), n));
            double accuracy = ClassifierTrainer.accuracy(model, head, 500);
            assertTrue(accuracy >= 0.9, "accuracy on the first " + n + " test images: " + accuracy);

            // the shipped statistics are of all 10 000 test images; their first 2000 are a
            // sub-sample of the same distribution, so the Fréchet distance between the two is small
            // compared with that to a clearly different set (the same images flipped upside down)
            GaussianStats reference = GaussianStats.load(MODEL.resolve("fmnist_test_stats.safetensors"));
            assertEquals(10000, reference.count());
            assertEquals(model.featureDim(), reference.dim());
            GaussianStats subset = FeatureStats.gaussian(model, images, 500);
            GaussianStats flipped = FeatureStats.gaussian(model, images.flip(2), 500);
            double near = FrechetDistance.squared(reference, subset);
            double far = FrechetDistance.squared(reference, flipped);
            assertTrue(near * 10 < far, "FD to a subset " + near + " vs to flipped images " + far);
        }
    }

    /** Recomputes the shipped statistics from all 10 000 test images; run with {@code -Dgroups=long}. */
    @Test
    @Tag("long")
    void shippedStatisticsAreThoseOfTheShippedModel() throws IOException {
        assumeTrue(Files.exists(MODEL.resolve(FashionClassifier.WEIGHTS_FILE)), "no shipped model at " + MODEL);
        ClassifierTrainerTest.assumeFashionMnist();
        try (NDManager m = NDManager.newBaseManager()) {
            FashionClassifier model = FashionClassifier.load(MODEL, m);
            ClassifierTrainer.Data test = ClassifierTrainer.Data.fashionMnist(ClassifierTrainerTest.DATA, Split.TEST, m);
            GaussianStats recomputed = FeatureStats.gaussian(model, test.images(), 500);
            GaussianStats shipped = GaussianStats.load(MODEL.resolve("fmnist_test_stats.safetensors"));
            double[] a = recomputed.mean(), b = shipped.mean();
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], 1e-5 * (1 + Math.abs(b[i])), "mu[" + i + "]");
            }
            assertTrue(FrechetDistance.squared(recomputed, shipped) < 1e-6);
        }
    }
}
