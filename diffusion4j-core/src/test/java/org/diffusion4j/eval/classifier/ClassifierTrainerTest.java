package org.diffusion4j.eval.classifier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.diffusion4j.data.ArrayImageDataset;
import org.diffusion4j.data.Split;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

public class ClassifierTrainerTest {

    public static final Path DATA = ClassifierTrainer.FASHION_MNIST_DIR;

    public static void assumeFashionMnist() {
        assumeTrue(Files.exists(DATA.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST not installed at " + DATA + " (CI installs it); skipping");
    }

    static float mean(float[] v, int from, int to) {
        float s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    @Test
    void dataScalesBytesToMinusOneOne() {
        ArrayImageDataset ds = new ArrayImageDataset("tiny", 1, 1, 2,
                new byte[] {0, (byte) 255, (byte) 128, 1}, new int[] {1, 0}, List.of("a", "b"));
        try (NDManager m = NDManager.newBaseManager()) {
            ClassifierTrainer.Data d = ClassifierTrainer.Data.of(ds, m);
            assertEquals(new Shape(2, 1, 1, 2), d.images().getShape());
            assertArrayEquals(new float[] {-1f, 1f, 128 / 127.5f - 1, 1 / 127.5f - 1}, d.images().toFloatArray(), 1e-7f);
            assertArrayEquals(new int[] {1, 0}, d.labels());
            ArrayImageDataset unlabelled = new ArrayImageDataset("u", 1, 1, 2, new byte[2], null, List.of());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ClassifierTrainer.Data.of(unlabelled, m));
            assertTrue(e.getMessage().contains("labelled"), e.getMessage());
        }
    }

    @Test
    void fiftyStepsReduceTheLossAndAreReproducible() throws IOException {
        assumeFashionMnist();
        FashionClassifier.Config tiny = new FashionClassifier.Config(8, 16, 32, 10, 0.1f);
        ClassifierTrainer.Options options = new ClassifierTrainer.Options(1, 32, 2e-3f, true, 7L, 50);
        try (NDManager m = NDManager.newBaseManager()) {
            // the test split is enough data for a smoke run and loads faster than train
            ClassifierTrainer.Data data = ClassifierTrainer.Data.fashionMnist(DATA, Split.TEST, m);
            ClassifierTrainer.Data head = new ClassifierTrainer.Data(data.images().get("0:1000"),
                    Arrays.copyOf(data.labels(), 1000));
            float[] losses;
            try (NDManager run = m.newSubManager()) {
                seedEngine(options.seed());
                FashionClassifier model = new FashionClassifier(tiny);
                model.initialize(run);
                int before = run.getManagedArrays().size();
                ClassifierTrainer.Result r = ClassifierTrainer.train(model, run, data, null, options, null);
                assertEquals(50, r.steps());
                losses = r.losses();
                float first = mean(losses, 0, 5), last = mean(losses, 45, 50);
                assertTrue(first > 2.0f, "starts near ln 10 = 2.30: " + first);
                assertTrue(last < 0.75f * first, "loss " + first + " -> " + last);
                // at most Adam's two moments per trainable tensor stay in the model's manager; a
                // per-step leak would add at least 50
                long trainable = model.getParameters().values().stream().filter(p -> p.requiresGradient()).count();
                int after = run.getManagedArrays().size();
                assertTrue(after - before <= 2 * trainable, "arrays leaked into the model manager: "
                        + before + " -> " + after);
                double acc = ClassifierTrainer.accuracy(model, head, 500);
                assertTrue(acc > 0.4, "50 tiny steps already beat chance (0.1): " + acc);
            }
            // same seed: same initialisation, batches, flips and dropout masks (and the same
            // schedule, which depends on the step budget)
            float[][] shortRuns = new float[2][];
            for (int i = 0; i < 2; i++) {
                try (NDManager run = m.newSubManager()) {
                    seedEngine(options.seed());
                    FashionClassifier model = new FashionClassifier(tiny);
                    model.initialize(run);
                    shortRuns[i] = ClassifierTrainer.train(model, run, data, null, options.withMaxSteps(5), null).losses();
                }
            }
            assertArrayEquals(shortRuns[0], shortRuns[1], 1e-6f, "same seed, same losses");
            assertEquals(losses[0], shortRuns[0][0], 1e-6f, "the first step does not depend on the budget");
        }
    }

    static void seedEngine(long seed) {
        ai.djl.engine.Engine.getInstance().setRandomSeed((int) seed);
    }

    /** The full training of the shipped model; run with {@code -Dgroups=long}. */
    @Test
    @Tag("long")
    void fullTrainingReachesNinetyTwoPercent() throws IOException {
        assumeFashionMnist();
        try (NDManager m = NDManager.newBaseManager()) {
            ClassifierTrainer.Data train = ClassifierTrainer.Data.fashionMnist(DATA, Split.TRAIN, m);
            ClassifierTrainer.Data test = ClassifierTrainer.Data.fashionMnist(DATA, Split.TEST, m);
            seedEngine(42);
            FashionClassifier model = new FashionClassifier();
            model.initialize(m);
            ClassifierTrainer.Result r = ClassifierTrainer.train(model, m, train, test,
                    ClassifierTrainer.Options.DEFAULT, null);
            assertTrue(r.testAccuracy() >= 0.92, "test accuracy " + r.testAccuracy());
        }
    }
}
