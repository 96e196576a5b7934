package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.function.DoubleUnaryOperator;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** KL, likelihoods, L_simple and Min-SNR-γ weights. */
class LossesTest {

    static int threads;

    @BeforeAll
    static void oneThread() {
        threads = IntraOpThreads.useOne();
    }

    @AfterAll
    static void restoreThreads() {
        IntraOpThreads.restore(threads);
    }


    /**
     * KL(N(μ₁,σ₁²) ‖ N(μ₂,σ₂²)) = log(σ₂/σ₁) + (σ₁² + (μ₁−μ₂)²)/(2σ₂²) − ½, written here in that
     * (different) form; 0 for equal Gaussians.
     */
    @Test
    void normalKlMatchesTheClosedForm() {
        double[][] cases = {{1, 2, 0, 0.5}, {0, 1, 0, 1}, {-0.3, 1e-4, 0.2, 2e-4}, {5, 3, -1, 0.1}, {0.7, 0.01, 0.7, 0.01}};
        try (NDManager m = NDManager.newBaseManager()) {
            for (double[] c : cases) {
                double mu1 = c[0], var1 = c[1], mu2 = c[2], var2 = c[3];
                double expected = Math.log(Math.sqrt(var2 / var1)) + (var1 + (mu1 - mu2) * (mu1 - mu2)) / (2 * var2) - 0.5;
                NDArray kl = Losses.normalKl(m.create(new double[] {mu1}), m.create(new double[] {Math.log(var1)}),
                        m.create(new double[] {mu2}), m.create(new double[] {Math.log(var2)}));
                assertEquals(expected, kl.getDouble(0), 1e-12 * Math.max(1, expected), java.util.Arrays.toString(c));
                if (mu1 == mu2 && var1 == var2) {
                    assertEquals(0, kl.getDouble(0), 1e-15);
                }
            }
            // broadcasting: per-sample log-variances against full-shape means
            NDArray mean1 = m.create(new double[] {0, 1, 2, 3}, new Shape(2, 2));
            NDArray kl = Losses.normalKl(mean1, m.create(new double[] {0, 0}, new Shape(2, 1)), mean1.zerosLike(),
                    m.create(new double[] {0, Math.log(4)}, new Shape(2, 1)));
            assertEquals(9.0 / 8 + 0.5 * (Math.log(4) + 0.25 - 1), kl.getDouble(1, 1), 1e-12);
        }
    }

    /**
     * The discretised Gaussian is a distribution over the 256 values k/127.5 − 1: the bin
     * probabilities sum to 1 (the open edge bins take the tails), for means inside, at the edge of
     * and outside [−1, 1], and scales from a tenth of a bin to many times the range.
     */
    @Test
    void discretizedLikelihoodSumsToOneOverTheBins() {
        double[][] cases = {{0, 0.1}, {0.3, 0.02}, {-0.95, 0.05}, {0.999, 0.5}, {0, 3}, {1.4, 0.2}, {0.1, 0.0005}};
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(bins());
            for (double[] c : cases) {
                NDArray lp = Losses.discretizedGaussianLogLikelihood(x, x.zerosLike().add(c[0]), x.zerosLike().add(Math.log(c[1])));
                double sum = lp.exp().sum().getDouble();
                assertEquals(1, sum, 1e-9, "mean " + c[0] + ", scale " + c[1]);
            }
        }
    }

    /**
     * Each bin's probability equals the Gaussian density integrated over the bin, computed
     * independently by Simpson's rule (interior bins over [x − 1/255, x + 1/255], the edge bins
     * over the open half-lines).
     */
    @Test
    void discretizedLikelihoodIsTheIntegralOverTheBin() {
        double mean = 0.2;
        double scale = 0.03;
        double[] x = bins();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xs = m.create(x);
            double[] lp = Losses.discretizedGaussianLogLikelihood(xs, xs.zerosLike().add(mean), xs.zerosLike().add(Math.log(scale)))
                    .toDoubleArray();
            DoubleUnaryOperator density = v -> Math.exp(-0.5 * Math.pow((v - mean) / scale, 2)) / (scale * Math.sqrt(2 * Math.PI));
            for (int k : new int[] {0, 140, 150, 153, 160, 170, 255}) {
                double lo = k == 0 ? mean - 40 * scale : x[k] - 1 / 255.0;
                double hi = k == 255 ? mean + 40 * scale : x[k] + 1 / 255.0;
                double p = simpson(density, lo, hi, 20000);
                double expected = Math.log(Math.max(p, 1e-12));
                assertEquals(expected, lp[k], 1e-7 + 1e-7 * Math.abs(expected), "bin " + k);
            }
            // the mode's bin (x ≈ 0.2) carries most mass, the far edge bins are floored at 1e-12
            assertTrue(lp[153] > Math.log(0.05));
            assertEquals(Math.log(1e-12), lp[0], 1e-9);
        }
    }

    /** The continuous Gaussian log-density against its formula. */
    @Test
    void gaussianLogLikelihoodIsTheDensity() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray ll = Losses.gaussianLogLikelihood(m.create(new double[] {0.5, -2}), m.create(new double[] {0.1, 0}),
                    m.create(new double[] {Math.log(0.3), Math.log(2)}));
            assertEquals(Math.log(Math.exp(-0.5 * Math.pow(0.4 / 0.3, 2)) / (0.3 * Math.sqrt(2 * Math.PI))), ll.getDouble(0), 1e-12);
            assertEquals(Math.log(Math.exp(-0.5) / (2 * Math.sqrt(2 * Math.PI))), ll.getDouble(1), 1e-12);
        }
    }

    /** L_simple (Eq. 14): per-sample mean squared error, times optional per-sample weights. */
    @Test
    void lossSimpleIsThePerSampleMeanSquaredError() {
        Shape shape = new Shape(3, 2, 2, 2);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = NoiseSource.seeded(2).normal(m, shape, 0);
            NDArray target = NoiseSource.seeded(2).normal(m, shape, 1);
            float[] o = out.toFloatArray();
            float[] g = target.toFloatArray();
            double[] w = {0.5, 1, 2};
            double[] plain = Losses.lossSimple(out, target).toType(DataType.FLOAT64, false).toDoubleArray();
            double[] weighted = Losses.lossSimple(out, target, w).toType(DataType.FLOAT64, false).toDoubleArray();
            double[] weightedNd = Losses.lossSimple(out, target, m.create(new float[] {0.5f, 1, 2})).toType(DataType.FLOAT64, false)
                    .toDoubleArray();
            for (int i = 0; i < 3; i++) {
                double s = 0;
                for (int j = 0; j < 8; j++) {
                    double d = o[8 * i + j] - g[8 * i + j];
                    s += d * d;
                }
                assertEquals(s / 8, plain[i], 1e-6 * (1 + s));
                assertEquals(w[i] * s / 8, weighted[i], 1e-6 * (1 + s));
                assertEquals(w[i] * s / 8, weightedNd[i], 1e-6 * (1 + s));
            }
            assertThrows(IllegalArgumentException.class, () -> Losses.lossSimple(out, target, new double[] {1, 2}));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Losses.lossSimple(out.concat(out, 1), target));
            assertTrue(e.getMessage().contains("learned-variance"), e.getMessage());
        }
    }

    /** The trainer back-propagates through L_simple: d/dout of Σ_i w_i mean_j (out−target)² = 2 w (out−target)/D. */
    @Test
    void lossSimpleIsDifferentiable() {
        Shape shape = new Shape(2, 3);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = m.create(new float[] {1, 2, 3, 4, 5, 6}, shape);
            NDArray target = m.create(new float[] {0, 2, 1, 4, 7, 6}, shape);
            out.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = Losses.lossSimple(out, target, new double[] {1, 3}).sum();
                gc.backward(loss);
            }
            float[] grad = out.getGradient().toFloatArray();
            float[] expected = {2f / 3, 0, 4f / 3, 0, -4, 0};
            for (int i = 0; i < 6; i++) {
                assertEquals(expected[i], grad[i], 1e-6);
            }
        }
    }

    /**
     * Min-SNR-γ (Hang et al. 2023): the x₀-space weight is min(SNR, γ); ε's loss is SNR × x₀'s and
     * v's is (SNR + 1) × x₀'s, so w_ε·SNR = w_v·(SNR+1) = w_x₀ = min(SNR, γ). ε's weight is 1 where
     * SNR ≤ γ, including zero terminal SNR, where min(SNR,γ)/SNR would be 0/0.
     */
    @Test
    void minSnrWeights() {
        GaussianDiffusion d = new GaussianDiffusion(NoiseSchedule.linear());
        int[] t = {0, 50, 100, 200, 400, 999};
        double gamma = 5;
        double[] eps = d.minSnrWeights(t, gamma, PredictionType.EPSILON);
        double[] v = d.minSnrWeights(t, gamma, PredictionType.V_PREDICTION);
        double[] x0 = d.minSnrWeights(t, gamma, PredictionType.SAMPLE);
        double[] snr = d.snr(t);
        for (int i = 0; i < t.length; i++) {
            double ab = NoiseSchedule.linear().alphaCumprod(t[i]);
            assertEquals(ab / (1 - ab), snr[i], 1e-9 * snr[i]);
            double clipped = Math.min(snr[i], gamma);
            assertEquals(clipped, x0[i], 1e-12 * clipped);
            assertEquals(clipped, eps[i] * snr[i], 1e-9 * clipped);
            assertEquals(clipped, v[i] * (snr[i] + 1), 1e-9 * clipped);
        }
        assertTrue(snr[0] > gamma && eps[0] < 0.01, "at t=0 SNR ≈ 1e4, so the ε weight is γ/SNR");
        assertEquals(1, eps[5], 0, "below γ the ε weight is 1");

        GaussianDiffusion zero = new GaussianDiffusion(NoiseSchedule.linear().rescaledToZeroTerminalSnr());
        assertEquals(0, zero.snr(new int[] {999})[0], 1e-12);
        assertEquals(1, zero.minSnrWeights(new int[] {999}, gamma, PredictionType.EPSILON)[0], 0);
        assertEquals(0, zero.minSnrWeights(new int[] {999}, gamma, PredictionType.V_PREDICTION)[0], 1e-12);
        assertThrows(IllegalArgumentException.class, () -> d.minSnrWeights(t, 0, PredictionType.EPSILON));
    }

    static double[] bins() {
        double[] x = new double[256];
        for (int k = 0; k < 256; k++) {
            x[k] = k / 127.5 - 1;
        }
        return x;
    }

    static double simpson(DoubleUnaryOperator f, double a, double b, int n) {
        double h = (b - a) / n;
        double s = f.applyAsDouble(a) + f.applyAsDouble(b);
        for (int i = 1; i < n; i++) {
            s += (i % 2 == 1 ? 4 : 2) * f.applyAsDouble(a + i * h);
        }
        return s * h / 3;
    }
}
