package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.diffusion4j.nn.ParameterFactory.Init;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The primitive layers against closed forms computed in double precision. */
class LayersTest {
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** A factory giving every parameter the given values (by init kind) for hand-checkable layers. */
    private static ParameterFactory constant(NDManager m, float weight, float bias) {
        return (name, shape, init) -> m.full(shape, name.endsWith(".bias") ? bias : weight);
    }

    @Test
    void groupNormMatchesTheDefinition() {
        int n = 2;
        int c = 6;
        int groups = 3;
        int hw = 5 * 4;
        Random r = new Random(3);
        float[] x = new float[n * c * hw];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextGaussian() * 3 + 1);
        }
        float[] gamma = {1, 2, -1, 0.5f, 3, 1};
        float[] beta = {0, 1, 2, -1, 0.5f, 0};
        double eps = 1e-5;
        Layers.GroupNorm gn = new Layers.GroupNorm(
                (name, shape, init) -> manager.create(name.endsWith("weight") ? gamma : beta), "g", groups, c, eps);
        float[] got = gn.forward(manager.create(x, new Shape(n, c, 5, 4))).toFloatArray();
        int per = c / groups * hw;
        for (int b = 0; b < n; b++) {
            for (int g = 0; g < groups; g++) {
                int off = (b * groups + g) * per;
                double mean = 0;
                for (int i = 0; i < per; i++) {
                    mean += x[off + i];
                }
                mean /= per;
                double var = 0;
                for (int i = 0; i < per; i++) {
                    var += (x[off + i] - mean) * (x[off + i] - mean);
                }
                var /= per; // biased, as torch.nn.GroupNorm
                for (int i = 0; i < per; i++) {
                    int ch = (off + i) / hw % c;
                    double want = (x[off + i] - mean) / Math.sqrt(var + eps) * gamma[ch] + beta[ch];
                    assertEquals(want, got[off + i], 1e-5 * Math.max(1, Math.abs(want)));
                }
            }
        }
    }

    @Test
    void timeProjMatchesTheSinusoidalFormula() {
        float[] t = {0, 1, 37, 999.5f};
        for (int dim : new int[] {16, 7}) {
            for (boolean flip : new boolean[] {true, false}) {
                for (double shift : new double[] {0, 1}) {
                    float[] got = TimestepEmbedding.timeProj(manager, t, dim, flip, shift).toFloatArray();
                    int half = dim / 2;
                    for (int b = 0; b < t.length; b++) {
                        for (int k = 0; k < half; k++) {
                            double arg = t[b] * Math.exp(-Math.log(10000) * k / (half - shift));
                            double sin = Math.sin(arg);
                            double cos = Math.cos(arg);
                            // float32 arguments near 1000 carry ~1e-4 absolute rounding
                            double tol = 1e-6 + 2e-7 * Math.abs(arg);
                            assertEquals(flip ? cos : sin, got[b * dim + k], tol);
                            assertEquals(flip ? sin : cos, got[b * dim + half + k], tol);
                        }
                        if (dim % 2 == 1) {
                            assertEquals(0f, got[b * dim + dim - 1], "odd width is zero-padded");
                        }
                    }
                }
            }
        }
    }

    /** With an all-ones 3×3 kernel on an all-ones 4×4 image the border pattern reveals the padding. */
    @Test
    void downsamplePaddingZeroPadsRightAndBottomOnly() {
        NDArray x = manager.ones(new Shape(1, 1, 4, 4));
        float[] padZero = new Downsample2D(constant(manager, 1, 0), "d", 1, 0).forward(x).toFloatArray();
        float[] padOne = new Downsample2D(constant(manager, 1, 0), "d", 1, 1).forward(x).toFloatArray();
        assertArrayEquals(new float[] {9, 6, 6, 4}, padZero);
        assertArrayEquals(new float[] {4, 6, 6, 9}, padOne);
    }

    @Test
    void upsampleIsNearestNeighbour() {
        NDArray x = manager.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 2, 2));
        assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4},
                Layers.upsampleNearest2x(x).toFloatArray());
    }

    @Test
    void siluAndLinearMatchDefinitions() {
        float[] v = {-3, -0.5f, 0, 0.7f, 4};
        float[] got = Layers.silu(manager.create(v)).toFloatArray();
        for (int i = 0; i < v.length; i++) {
            assertEquals(v[i] / (1 + Math.exp(-v[i])), got[i], 1e-6);
        }
        Layers.Linear lin = new Layers.Linear((name, shape, init) -> name.endsWith("weight")
                ? manager.create(new float[] {1, 2, 3, 4, 5, 6}, shape) : manager.create(new float[] {10, 20}), "l", 3, 2);
        assertArrayEquals(new float[] {1 + 4 + 9 + 10, 4 + 10 + 18 + 20},
                lin.forward(manager.create(new float[] {1, 2, 3}, new Shape(1, 3))).toFloatArray());
    }

    @Test
    void initKindsFollowPyTorchDefaults() {
        java.util.Map<String, Init> inits = new java.util.LinkedHashMap<>();
        ParameterFactory record = (name, shape, init) -> {
            inits.put(name, init);
            return null;
        };
        new Layers.Conv2d(record, "c", 4, 8, 3, 1, 1);
        new Layers.GroupNorm(record, "g", 2, 4, 1e-5);
        new Layers.Embedding(record, "e", 10, 4);
        new Layers.Linear(record, "l", 16, 4);
        assertEquals(Init.uniform(1 / 6.0), inits.get("c.weight"), "kaiming_uniform(a=√5): 1/√(4·3·3)");
        assertEquals(Init.uniform(1 / 6.0), inits.get("c.bias"));
        assertEquals(Init.ONES, inits.get("g.weight"));
        assertEquals(Init.ZEROS, inits.get("g.bias"));
        assertEquals(Init.NORMAL, inits.get("e.weight"));
        assertEquals(Init.uniform(0.25), inits.get("l.weight"));
    }
}
