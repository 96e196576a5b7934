package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.eval.classifier.FashionClassifier;
import org.junit.jupiter.api.Test;

class SampleQualityTest {

    @Test
    void realImagesAgainstTheirOwnStatisticsScorePerfectly() {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager m = NDManager.newBaseManager()) {
            FashionClassifier model = new FashionClassifier(new FashionClassifier.Config(4, 8, 16, 10, 0f));
            model.initialize(m);
            NDArray images = m.randomUniform(-1f, 1f, new Shape(64, 1, 28, 28));
            GaussianStats own = FeatureStats.gaussian(model, images, 20);
            int before = m.getManagedArrays().size();
            SampleQuality.Report r = SampleQuality.evaluate(model, images, own, images, 4);
            assertEquals(before, m.getManagedArrays().size(), "no arrays left behind");
            assertEquals(64, r.samples());
            assertEquals(0.0, r.fd(), 1e-6);
            assertEquals(1.0, r.precision(), 0.0);
            assertEquals(1.0, r.recall(), 0.0);
            assertTrue(r.isMean() >= 1.0 && r.isMean() <= 10.0, "IS in [1, classes]: " + r.isMean());

            // a shifted copy of the images is further from the statistics
            SampleQuality.Report shifted = SampleQuality.evaluate(model, images.mul(0.2f).sub(0.7f), own, null, 4);
            assertTrue(shifted.fd() > 1e-3, "fd " + shifted.fd());
            assertTrue(Double.isNaN(shifted.precision()) && Double.isNaN(shifted.recall()));
        }
    }
}
