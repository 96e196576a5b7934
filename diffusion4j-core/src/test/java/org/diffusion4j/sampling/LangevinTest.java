package org.diffusion4j.sampling;

import org.diffusion4j.diffusion.NoiseSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LangevinTest {

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

    /**
     * 50 levels × 20 steps with ε = 2·10⁻⁴ (1000 evaluations): the closed-form moment recursion of this
     * Gaussian leaves +1.5% variance (the levels below σ ≈ s mix slowly, see {@link Langevin}), under
     * half the 3.9% tolerance; the σ_L² = 10⁻⁴ of noise left in the output adds 0.04%.
     */
    @Test
    void gaussianDataGetsItsMeanAndVariance() {
        Sampler langevin = new Langevin(LINEAR, 50, 20, 2e-4);
        ConvergenceOrderTest.assertMoments(langevin, new AnalyticGaussianDenoiser(LINEAR, MU, S, PredictionType.EPSILON), MU, S);
    }

    @Test
    void levelsAreGeometricInSigmaOnTheTrainingGrid() {
        int[] levels = new Langevin(LINEAR, 10).levels();
        assertEquals(999, levels[0]);
        assertEquals(0, levels[9]);
        double ratio = Math.pow(LINEAR.sigma(0) / LINEAR.sigma(999), 1 / 9.0);
        for (int i = 1; i < 10; i++) {
            assertTrue(levels[i] < levels[i - 1]);
            double target = LINEAR.sigma(999) * Math.pow(ratio, i);
            // the nearest training timestep: σ within one grid step of the geometric target
            assertTrue(LINEAR.sigma(levels[i] + 1) >= target * 0.999 && LINEAR.sigma(Math.max(levels[i] - 1, 0)) <= target * 1.001,
                    "level " + i + " at t = " + levels[i]);
        }
        assertEquals(10 * Langevin.DEFAULT_STEPS_PER_LEVEL, new Langevin(LINEAR, 10).evaluations());
    }

    /**
     * One level (t = 0, σ = σ_L, so α = ε) and two steps written out in the x/√ᾱ view:
     * x̃ ← x̃ + (α/2)(−ε̂/σ) + √α z, from x̃ = x_T √(1+σ²).
     */
    @Test
    void stepsFollowAlgorithm1() {
        double eps = 3e-4;
        NoiseSource noise = NoiseSource.seeded(21);
        Shape shape = new Shape(2, 4);
        double sigma = LINEAR.sigma(0);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xT = NoiseSource.seeded(20).normal(m, shape, 0).toType(DataType.FLOAT64, false);
            double[] x = xT.toDoubleArray();
            double[] z0 = noise.normal(m, shape, 0).toType(DataType.FLOAT64, false).toDoubleArray();
            double[] z1 = noise.normal(m, shape, 1).toType(DataType.FLOAT64, false).toDoubleArray();
            for (PredictionType type : PredictionType.values()) {
                double[] got = new Langevin(LINEAR, 1, 2, eps).sample(ConvergenceOrderTest.ExactGaussianDenoiser.of(MU, S, type, LINEAR),
                        xT, noise, SamplingListener.NONE).toDoubleArray();
                for (int i = 0; i < x.length; i++) {
                    double x0 = x[i] * Math.sqrt(1 + sigma * sigma);
                    double x1 = x0 + eps / 2 * score(x0, sigma) + Math.sqrt(eps) * z0[i];
                    double x2 = x1 + eps / 2 * score(x1, sigma) + Math.sqrt(eps) * z1[i];
                    assertEquals(x2, got[i], 1e-12, type + " element " + i);
                }
            }
        }
    }

    /** The score of N(μ, s² + σ²), the σ-perturbed data in the x/√ᾱ view. */
    static double score(double x, double sigma) {
        return -(x - MU) / (S * S + sigma * sigma);
    }

    @Test
    void honoursTheSamplerContractForEveryPredictionType() {
        Langevin langevin = new Langevin(LINEAR, 4, 3, 1e-4);
        assertEquals(12, langevin.evaluations());
        ConvergenceOrderTest.assertContract(langevin, LINEAR, ConvergenceOrderTest.linearSigma(LINEAR));
        Sampler fromOptions = Samplers.create("langevin", LINEAR, SamplerOptions.builder().steps(7).correctorSteps(5).build());
        assertEquals(35, fromOptions.evaluations(), "L = steps levels, M = corrector_steps per level");
        assertEquals("langevin", langevin.name());
        assertThrows(IllegalArgumentException.class, () -> new Langevin(LINEAR, 0, 3, 1e-4));
        assertThrows(IllegalArgumentException.class, () -> new Langevin(LINEAR, 4, 3, 0));
    }
}
