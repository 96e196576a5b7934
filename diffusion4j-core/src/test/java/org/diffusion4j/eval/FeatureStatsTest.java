package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

class FeatureStatsTest {

    /** Features = the flattened pixels: makes the batched result checkable against one pass. */
    static final class Flatten implements FeatureExtractor {
        @Override
        public String name() {
            return "flatten";
        }

        @Override
        public int featureDim() {
            return 4;
        }

        @Override
        public NDArray features(NDArray images) {
            return images.reshape(images.getShape().get(0), -1);
        }
    }

    @Test
    void batchedStatisticsEqualOnePass() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray images = m.randomUniform(-1f, 1f, new Shape(103, 1, 2, 2));
            FeatureExtractor f = new Flatten();
            GaussianStats batched = FeatureStats.gaussian(f, images, 10); // ragged last batch of 3
            GaussianStats once = GaussianStats.of(images.reshape(103, 4));
            assertEquals(103, batched.count());
            assertArrayEquals(once.mean(), batched.mean(), 1e-12);
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(once.covariance()[i], batched.covariance()[i], 1e-12);
            }
            int before = m.getManagedArrays().size();
            NDArray all = FeatureStats.features(f, images, 7);
            assertEquals(before + 1, m.getManagedArrays().size(), "only the result stays");
            assertArrayEquals(images.toFloatArray(), all.toFloatArray(), 0f);
            assertThrows(UnsupportedOperationException.class, () -> FeatureStats.classProbabilities(f, images, 10));
        }
    }
}
