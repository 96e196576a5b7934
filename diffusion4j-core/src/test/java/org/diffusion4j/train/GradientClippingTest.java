package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

    @Test
    void globalNormIsTheNormOfAllGradientsConcatenated() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<NDArray> g = List.of(m.create(new float[] {3f, 0f}), m.create(new float[][] {{0f, 4f}, {12f, 0f}}));
            assertEquals(13.0, GradientClipping.globalNorm(g, m), 1e-6); // √(9 + 16 + 144)
        }
    }

    @Test
    void clipScalesToMaxNormAndKeepsDirection() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<NDArray> g = List.of(m.create(new float[] {3f, 0f}), m.create(new float[] {0f, 4f}));
            double norm = GradientClipping.globalNorm(g, m);
            double c = GradientClipping.clip(g, norm, 1.0);
            assertEquals(1.0 / (5.0 + 1e-6), c, 1e-12);
            assertArrayEquals(new float[] {0.6f, 0f}, g.get(0).toFloatArray(), 1e-6f);
            assertArrayEquals(new float[] {0f, 0.8f}, g.get(1).toFloatArray(), 1e-6f);
            assertEquals(1.0, GradientClipping.globalNorm(g, m), 1e-5);
        }
    }

    @Test
    void smallGradientsAreLeftAlone() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<NDArray> g = List.of(m.create(new float[] {0.3f, -0.4f}));
            assertEquals(1.0, GradientClipping.clip(g, GradientClipping.globalNorm(g, m), 1.0), 0);
            assertArrayEquals(new float[] {0.3f, -0.4f}, g.get(0).toFloatArray(), 0f);
        }
    }

    @Test
    void nonFiniteGradientGivesNonFiniteNorm() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertTrue(Double.isNaN(GradientClipping.globalNorm(List.of(m.create(new float[] {1f, Float.NaN})), m)));
            assertTrue(Double.isInfinite(GradientClipping.globalNorm(
                    List.of(m.create(new float[] {1f}), m.create(new float[] {Float.NEGATIVE_INFINITY})), m)));
        }
    }
}
