package org.diffusion4j.eval;

import org.diffusion4j.eval.classifier.ShippedClassifierTest;
import org.diffusion4j.eval.classifier.ClassifierTrainerTest;
import org.diffusion4j.eval.classifier.ClassifierTrainer;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.util.Arrays;
import org.diffusion4j.data.Split;
import org.diffusion4j.eval.classifier.FashionClassifier;
import org.junit.jupiter.api.Test;

class ClassAccuracyTest {

    /** Counts, per-class accuracies, the confusion matrix and the binomial standard error of a hand-made set. */
    @Test
    void countsOfAHandMadeSet() {
        long[] requested = {0, 0, 0, 1, 1, 2, 2, 2};
        long[] predicted = {0, 0, 1, 1, 2, 2, 2, 0};
        ClassAccuracy.Result r = ClassAccuracy.of(predicted, requested, 4);
        assertEquals(8, r.images());
        assertEquals(5, r.correct());
        assertEquals(5 / 8.0, r.accuracy(), 1e-15);
        assertEquals(Math.sqrt(5 / 8.0 * 3 / 8.0 / 8), r.standardError(), 1e-15);
        assertArrayEquals(new int[] {3, 2, 3, 0}, r.perClassImages());
        assertArrayEquals(new int[] {2, 1, 2, 0}, r.perClassCorrect());
        assertEquals(2 / 3.0, r.classAccuracy(0), 1e-15);
        assertEquals(0.5, r.classAccuracy(1), 1e-15);
        assertTrue(Double.isNaN(r.classAccuracy(3)), "class 3 was never requested");
        assertArrayEquals(new int[] {2, 1, 0, 0}, r.confusion()[0]);
        assertArrayEquals(new int[] {1, 0, 2, 0}, r.confusion()[2]);
        assertEquals("0.625 ± 0.171 (5 of 8)", ClassAccuracy.describe(r));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ClassAccuracy.of(new long[] {0, 4}, new long[] {0, 1}, 4));
        assertTrue(e.getMessage().contains("image 1") && e.getMessage().contains("[0, 4)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ClassAccuracy.of(new long[] {0}, new long[] {0, 1}, 4));
    }

    /**
     * Real Fashion-MNIST test images given as "samples" with their true labels: the accuracy is the shipped
     * classifier's test accuracy (92.5 % on all 10 000; on these 2 000 the same count as ClassifierTrainer's
     * independent loop), and with every label moved to the next class it collapses.
     */
    @Test
    void realTestImagesWithTheirLabelsScoreTheClassifiersAccuracy() throws Exception {
        assumeTrue(Files.exists(ShippedClassifierTest.MODEL.resolve(FashionClassifier.WEIGHTS_FILE)),
                "no shipped classifier at " + ShippedClassifierTest.MODEL);
        ClassifierTrainerTest.assumeFashionMnist();
        try (NDManager m = NDManager.newBaseManager()) {
            FashionClassifier net = FashionClassifier.load(ShippedClassifierTest.MODEL, m);
            ClassifierTrainer.Data test = ClassifierTrainer.Data.fashionMnist(ClassifierTrainerTest.DATA, Split.TEST, m);
            int n = 2000;
            NDArray images = test.images().get("0:" + n);
            int[] labels = Arrays.copyOf(test.labels(), n);
            long[] requested = Arrays.stream(labels).asLongStream().toArray();

            ClassAccuracy.Result r = ClassAccuracy.of(net, images, requested, 300);
            double reference = ClassifierTrainer.accuracy(net, new ClassifierTrainer.Data(images, labels), 500);
            assertEquals(reference, r.accuracy(), 1e-12, "same images, same labels, another loop");
            assertEquals(0.925, r.accuracy(), 0.03, "the shipped classifier's test accuracy");
            for (int c = 0; c < 10; c++) {
                assertTrue(r.perClassImages()[c] > 150, "class " + c + " has " + r.perClassImages()[c] + " of the 2000");
            }

            long[] shifted = Arrays.stream(requested).map(y -> (y + 1) % 10).toArray();
            ClassAccuracy.Result wrong = ClassAccuracy.of(net, images, shifted, 300);
            assertTrue(wrong.accuracy() < 0.1, "labels moved to the next class: " + wrong.accuracy());
        }
    }
}
