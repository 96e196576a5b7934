package org.diffusion4j.sampling;

import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class EulerMaruyamaTest {

    private static int threads;

    @BeforeAll
    static void oneThread() {
        threads = ConvergenceOrderTest.oneThread();
    }

    @AfterAll
    static void restoreThreads() {
        ConvergenceOrderTest.restoreThreads(threads);
    }

    static final NoiseSchedule LINEAR = NoiseSchedule.linear();
    static final double MU = 0.3;
    static final double S = 0.5;

    @Test
    void gaussianDataGetsItsMeanAndVariance() {
        // 250 steps: the closed-form variance recursion of this Gaussian gives +0.9%, under half the 3.9% tolerance
        Sampler em = new EulerMaruyama(LINEAR, ConvergenceOrderTest.opts(250, TimestepSpacing.LINSPACE, 0, false));
        ConvergenceOrderTest.assertMoments(em, new AnalyticGaussianDenoiser(LINEAR, MU, S, PredictionType.EPSILON), MU, S);
    }

    /**
     * Two steps written out: 600 → 250 with b = β_600·350 and noise draw 0, then 250 → data
     * (timestep −1) with b = β_250·251 and no noise; x ← x + (½x + ∇log p_t(x)) b + √b z with the
     * exact Gaussian score −(x − √ᾱ μ)/(ᾱs² + 1 − ᾱ).
     */
    @Test
    void stepsAreEulerMaruyamaOnTheReverseVpSde() {
        NoiseSource noise = NoiseSource.seeded(3);
        Shape shape = new Shape(2, 5);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xT = NoiseSource.seeded(4).normal(m, shape, 0).toType(DataType.FLOAT64, false);
            double[] x = xT.toDoubleArray();
            double[] z = noise.normal(m, shape, 0).toType(DataType.FLOAT64, false).toDoubleArray();
            double b1 = LINEAR.beta(600) * 350;
            double b2 = LINEAR.beta(250) * 251;
            double[] expected = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                double x1 = x[i] + (0.5 * x[i] + score(x[i], 600)) * b1 + Math.sqrt(b1) * z[i];
                expected[i] = x1 + (0.5 * x1 + score(x1, 250)) * b2;
            }
            for (PredictionType type : PredictionType.values()) {
                NDArray out = new EulerMaruyama(LINEAR, new int[] {600, 250}).sample(
                        ConvergenceOrderTest.ExactGaussianDenoiser.of(MU, S, type, LINEAR), xT, noise, SamplingListener.NONE);
                double[] got = out.toDoubleArray();
                for (int i = 0; i < x.length; i++) {
                    assertEquals(expected[i], got[i], 1e-12, type + " element " + i);
                }
            }
        }
    }

    static double score(double x, int t) {
        double a = LINEAR.alphaCumprod(t);
        return -(x - Math.sqrt(a) * MU) / (a * S * S + 1 - a);
    }

    @Test
    void isReproducibleFromTheNoiseSource() {
        Sampler em = new EulerMaruyama(LINEAR, ConvergenceOrderTest.opts(10, TimestepSpacing.TRAILING, 0, false));
        Denoiser d = ConvergenceOrderTest.ExactGaussianDenoiser.of(MU, S, PredictionType.EPSILON, LINEAR);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xT = m.randomNormal(new Shape(2, 8));
            NDArray a = em.sample(d, xT, NoiseSource.seeded(1), SamplingListener.NONE);
            NDArray b = em.sample(d, xT, NoiseSource.seeded(1), SamplingListener.NONE);
            NDArray c = em.sample(d, xT, NoiseSource.seeded(2), SamplingListener.NONE);
            assertEquals(a, b);
            assertNotEquals(a, c);
        }
    }

    @Test
    void honoursTheSamplerContractForEveryPredictionType() {
        ConvergenceOrderTest.assertContract(new EulerMaruyama(LINEAR, ConvergenceOrderTest.opts(8, TimestepSpacing.LEADING, 1, false)), LINEAR,
                ConvergenceOrderTest.linearSigma(LINEAR));
        assertTrue(Samplers.create("euler-maruyama", LINEAR, SamplerOptions.ofSteps(5)) instanceof EulerMaruyama);
        assertEquals("euler-maruyama", new EulerMaruyama(LINEAR, ConvergenceOrderTest.opts(8, TimestepSpacing.LEADING, 1, false)).name());
        assertThrows(IllegalArgumentException.class, () -> new EulerMaruyama(LINEAR, new int[] {5, 7}));
        assertThrows(IllegalArgumentException.class, () -> new EulerMaruyama(LINEAR, new int[] {1000}));
    }
}
