package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AdamW against the update written out by hand in double precision (Loshchilov &amp; Hutter 2019, Alg. 2). */
class AdamWTest {

    @Test
    void matchesHandComputedUpdatesOnTwoParameters() {
        double beta1 = 0.9;
        double beta2 = 0.999;
        double eps = 1e-8;
        double wd = 0.01;
        double[] lr = {0.1, 0.05, 0.2};
        double[][] grads = {{0.5, -2.0}, {0.25, 1.0}, {-1.0, 3.0}};
        double[] theta = {1.0, -2.0};
        double[] m = new double[2];
        double[] v = new double[2];
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("a", manager.create(new float[] {1.0f}));
            params.put("b", manager.create(new float[] {-2.0f}));
            AdamW adam = new AdamW(params, manager, beta1, beta2, eps, wd);
            for (int t = 1; t <= 3; t++) {
                double[] g = grads[t - 1];
                for (int i = 0; i < 2; i++) {
                    theta[i] *= 1 - lr[t - 1] * wd;
                    m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                    v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i];
                    double mHat = m[i] / (1 - Math.pow(beta1, t));
                    double vHat = v[i] / (1 - Math.pow(beta2, t));
                    theta[i] -= lr[t - 1] * mHat / (Math.sqrt(vHat) + eps);
                }
                try (NDManager step = manager.newSubManager()) {
                    Map<String, NDArray> gradients = new LinkedHashMap<>();
                    gradients.put("a", step.create(new float[] {(float) g[0]}));
                    gradients.put("b", step.create(new float[] {(float) g[1]}));
                    adam.update(params, gradients, lr[t - 1], step);
                }
                assertEquals(theta[0], params.get("a").getFloat(), 1e-6, "a after update " + t);
                assertEquals(theta[1], params.get("b").getFloat(), 1e-6, "b after update " + t);
                assertEquals(m[0], adam.firstMoments().get("a").getFloat(), 1e-6);
                assertEquals(v[1], adam.secondMoments().get("b").getFloat(), 1e-6);
            }
            assertEquals(3, adam.updates());
        }
    }

    @Test
    void firstUpdateMovesByLearningRateTimesSign() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = Map.of("w", manager.create(new float[] {0f, 0f, 0f}));
            AdamW adam = new AdamW(params, manager, 0.9, 0.999, 1e-8, 0);
            try (NDManager step = manager.newSubManager()) {
                adam.update(params, Map.of("w", step.create(new float[] {1e-3f, -50f, 7f})), 0.01, step);
            }
            // m̂ = g and v̂ = g², so the first step is −lr · g/(|g| + ε): about lr whatever the scale of g.
            float[] expected = new float[3];
            float[] g = {1e-3f, -50f, 7f};
            for (int i = 0; i < 3; i++) {
                expected[i] = (float) (-0.01 * g[i] / (Math.abs(g[i]) + 1e-8));
            }
            assertArrayEquals(expected, params.get("w").toFloatArray(), 1e-8f);
        }
    }

    @Test
    void refusesBadHyperParameters() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> params = Map.of("w", manager.create(new float[] {0f}));
            assertThrows(IllegalArgumentException.class, () -> new AdamW(params, manager, 1.0, 0.999, 1e-8, 0));
            assertThrows(IllegalArgumentException.class, () -> new AdamW(params, manager, 0.9, 0.999, 0, 0));
            assertThrows(IllegalArgumentException.class, () -> new AdamW(params, manager, 0.9, 0.999, 1e-8, -1));
        }
    }
}
