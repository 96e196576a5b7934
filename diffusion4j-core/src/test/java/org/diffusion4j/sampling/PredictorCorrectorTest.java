package org.diffusion4j.sampling;

import org.diffusion4j.diffusion.NoiseSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
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

class PredictorCorrectorTest {

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
     * 250 ancestral steps with one corrector step each at snr 0.1 (499 evaluations). The corrector
     * is unadjusted Langevin with ε ≈ 2α·snr²·v for a target of variance v, whose stationary variance
     * is v/(1 − ε/2v) ≈ v(1 + snr²): +1% here in the closed-form recursion of this Gaussian, under
     * half the 3.9% tolerance (at the paper's snr 0.16 it would be +2.4%, too close to test).
     */
    @Test
    void gaussianDataGetsItsMeanAndVariance() {
        Sampler pc = new PredictorCorrector(LINEAR, ConvergenceOrderTest.opts(250, TimestepSpacing.LINSPACE, 0, false).toBuilder().snr(0.1).correctorSteps(1).build());
        ConvergenceOrderTest.assertMoments(pc, new AnalyticGaussianDenoiser(LINEAR, MU, S, PredictionType.EPSILON), MU, S);
    }

    /**
     * Two grid steps written out: ancestral 600 → 250 (β = 1 − ᾱ_600/ᾱ_250, noise draw 0), one
     * corrector at 250 (Algorithm 5: ε = 2α_250(r‖z‖/‖g‖)² per image, noise draw 1), ancestral
     * 250 → data with β = 1 − ᾱ_250 and no noise, on a batch of two images so that the per-image norms
     * matter.
     */
    @Test
    void stepsFollowAlgorithms3And5() {
        double snr = 0.2;
        NoiseSource noise = NoiseSource.seeded(8);
        Shape shape = new Shape(2, 6);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xT = NoiseSource.seeded(9).normal(m, shape, 0).toType(DataType.FLOAT64, false);
            double[] x = xT.toDoubleArray();
            double[] z0 = noise.normal(m, shape, 0).toType(DataType.FLOAT64, false).toDoubleArray();
            double[] z1 = noise.normal(m, shape, 1).toType(DataType.FLOAT64, false).toDoubleArray();
            double beta1 = 1 - LINEAR.alphaCumprod(600) / LINEAR.alphaCumprod(250);
            double beta2 = 1 - LINEAR.alphaCumprod(250);
            double[] expected = new double[x.length];
            for (int img = 0; img < 2; img++) {
                double[] x1 = new double[6];
                double zz = 0;
                double gg = 0;
                for (int j = 0; j < 6; j++) {
                    int i = img * 6 + j;
                    x1[j] = (x[i] + beta1 * score(x[i], 600)) / Math.sqrt(1 - beta1) + Math.sqrt(beta1) * z0[i];
                    zz += z1[i] * z1[i];
                    gg += score(x1[j], 250) * score(x1[j], 250);
                }
                double eps = 2 * LINEAR.alpha(250) * snr * snr * zz / gg;
                for (int j = 0; j < 6; j++) {
                    int i = img * 6 + j;
                    double x2 = x1[j] + eps * score(x1[j], 250) + Math.sqrt(2 * eps) * z1[i];
                    expected[i] = (x2 + beta2 * score(x2, 250)) / Math.sqrt(1 - beta2);
                }
            }
            for (PredictionType type : PredictionType.values()) {
                NDArray out = new PredictorCorrector(LINEAR, new int[] {600, 250}, snr, 1).sample(
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
    void honoursTheSamplerContractForEveryPredictionType() {
        PredictorCorrector pc = new PredictorCorrector(LINEAR, ConvergenceOrderTest.opts(6, TimestepSpacing.TRAILING, 0, false).toBuilder().snr(0.16).correctorSteps(2).build());
        assertEquals(6 + 2 * 5, pc.evaluations());
        ConvergenceOrderTest.assertContract(pc, LINEAR, ConvergenceOrderTest.linearSigma(LINEAR));
        assertTrue(Samplers.create("pc", LINEAR, SamplerOptions.ofSteps(5)) instanceof PredictorCorrector);
        assertEquals("pc", pc.name());
        assertThrows(IllegalArgumentException.class, () -> new PredictorCorrector(LINEAR, ConvergenceOrderTest.opts(6, TimestepSpacing.TRAILING, 0, false).toBuilder().snr(0).correctorSteps(1).build()));
        assertThrows(IllegalArgumentException.class, () -> new PredictorCorrector(LINEAR, ConvergenceOrderTest.opts(6, TimestepSpacing.TRAILING, 0, false).toBuilder().snr(0.16).correctorSteps(-1).build()));
    }
}
