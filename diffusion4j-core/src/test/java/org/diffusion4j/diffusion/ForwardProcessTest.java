package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** q(x_t | x₀), the Markov kernel q(x_t | x_{t−1}) and the posterior q(x_{t−1} | x_t, x₀). */
class ForwardProcessTest {

    static int threads;

    @BeforeAll
    static void oneThread() {
        threads = IntraOpThreads.useOne();
    }

    @AfterAll
    static void restoreThreads() {
        IntraOpThreads.restore(threads);
    }


    static final Path REF = Path.of("src/test/resources/fixtures/diffusers/reference/schedulers.safetensors");

    final NoiseSchedule schedule = NoiseSchedule.linear();
    final GaussianDiffusion diffusion = new GaussianDiffusion(schedule);

    /**
     * Runs the chain x_t = √(1−β_t) x_{t−1} + √β_t ε (Eq. 2) from a fixed x₀ on 20000 scalars and
     * checks the sample mean and variance after k steps against Eq. 4: √ᾱ x₀ and 1 − ᾱ at index
     * k−1, within 5 standard errors. At k = 10 the test also shows it has the power to tell index
     * k−1 from k.
     */
    @Test
    void markovChainMatchesTheClosedFormMarginal() {
        int n = 20000;
        double x0 = 0.7;
        NoiseSource noise = NoiseSource.seeded(42);
        Shape shape = new Shape(n, 1);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.full(shape, (float) x0);
            int steps = 0;
            for (int k : new int[] {10, 100, 500}) {
                for (; steps < k; steps++) {
                    NDArray eps = noise.normal(m, shape, steps);
                    NDArray next = diffusion.qStep(x, steps, eps);
                    eps.close();
                    x.close();
                    x = next;
                }
                double[] v = toDoubles(x);
                double mean = mean(v);
                double var = variance(v, mean);
                double expectedMean = schedule.sqrtAlphaCumprod(k - 1) * x0;
                double expectedVar = 1 - schedule.alphaCumprod(k - 1);
                double seMean = Math.sqrt(expectedVar / n);
                double seVar = expectedVar * Math.sqrt(2.0 / (n - 1));
                assertEquals(expectedMean, mean, 5 * seMean, "mean after " + k + " steps");
                assertEquals(expectedVar, var, 5 * seVar, "variance after " + k + " steps");
                if (k == 10) {
                    double offByOne = 1 - schedule.alphaCumprod(k);
                    assertTrue(Math.abs(var - offByOne) > 5 * seVar, "the test can tell ᾱ_{k−1} from ᾱ_k");
                }
            }
        }
    }

    /** qSample is x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε element by element, with each sample's own t (Eq. 4). */
    @Test
    void qSampleIsTheClosedFormWithPerSampleTimesteps() {
        int[] t = {0, 10, 500, 999};
        Shape shape = new Shape(4, 2, 3);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = NoiseSource.seeded(1).normal(m, shape, 0).toType(DataType.FLOAT64, false);
            NDArray eps = NoiseSource.seeded(1).normal(m, shape, 1).toType(DataType.FLOAT64, false);
            NDArray xt = diffusion.qSample(x0, t, eps);
            NDArray xtFromNd = diffusion.qSample(x0, m.create(new long[] {0, 10, 500, 999}), eps);
            double[] a = x0.toDoubleArray();
            double[] e = eps.toDoubleArray();
            double[] got = xt.toDoubleArray();
            double[] got2 = xtFromNd.toDoubleArray();
            for (int i = 0; i < a.length; i++) {
                int ti = t[i / 6];
                double ab = schedule.alphaCumprod(ti);
                double expected = Math.sqrt(ab) * a[i] + Math.sqrt(1 - ab) * e[i];
                assertEquals(expected, got[i], 1e-14);
                assertEquals(expected, got2[i], 1e-14);
            }
            assertEquals(xt.getShape(), shape);

            GaussianDiffusion.MeanVariance q = diffusion.qMeanVariance(x0, t);
            assertEquals(new Shape(4, 1, 1), q.variance().getShape());
            double[] mean = q.mean().toDoubleArray();
            for (int j = 0; j < 4; j++) {
                assertEquals(1 - schedule.alphaCumprod(t[j]), q.variance().toDoubleArray()[j], 1e-15);
                assertEquals(Math.log(1 - schedule.alphaCumprod(t[j])), q.logVariance().toDoubleArray()[j], 1e-12);
                assertEquals(schedule.sqrtAlphaCumprod(t[j]) * a[6 * j + 5], mean[6 * j + 5], 1e-14);
            }
        }
    }

    @Test
    void badTimestepsAndShapesAreRefusedClearly() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = m.zeros(new Shape(2, 3));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> diffusion.qSample(x0, new int[] {0, 1000}, x0));
            assertTrue(e.getMessage().contains("timestep 1000 is outside [0, 999]"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> diffusion.qSample(x0, new int[] {0}, x0));
            assertTrue(e.getMessage().contains("one timestep per sample"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> diffusion.qSample(x0, new int[] {0, 1}, m.zeros(new Shape(2, 4))));
            assertTrue(e.getMessage().contains("noise has shape"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> diffusion.qSample(x0, m.create(new float[] {0, 1}), x0));
            assertTrue(e.getMessage().contains("int64"), e.getMessage());
        }
    }

    /**
     * diffusers' DDPMScheduler.add_noise on the fixture (float32, per-sample t = 0, 10, 500, 999).
     * With diffusers' own float32 ᾱ (rebuilt exactly as a double schedule from the fixture) the
     * formula matches to float32 rounding (≤ 1e-6). With our double schedule the difference is
     * larger at small t, and it is diffusers' error: a float32 ᾱ ≈ 0.9999 carries an absolute error
     * ~1.7e-8, i.e. ~1.6e-4 relative in 1 − ᾱ, so √(1−ᾱ)·ε (|ε| ≤ 4) is off by up to ~3e-6.
     */
    @Test
    void reproducesDiffusersAddNoise() throws Exception {
        SafeTensors ref = SafeTensors.read(REF);
        GaussianDiffusion diffusersSchedule = new GaussianDiffusion(diffusersSchedule(ref));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = ref.toNDArray("add_noise/x0", m);
            NDArray noise = ref.toNDArray("add_noise/noise", m);
            NDArray t = ref.toNDArray("add_noise/t", m);
            NDArray expected = ref.toNDArray("add_noise/x_t", m);

            NDArray xt = diffusersSchedule.qSample(x0, t, noise);
            assertEquals(DataType.FLOAT32, xt.getDataType());
            double maxDiff = xt.sub(expected).abs().max().getFloat();
            assertTrue(maxDiff < 1e-6, "max |x_t − diffusers| with diffusers' ᾱ = " + maxDiff);

            double maxDiffDouble = diffusion.qSample(x0, t, noise).sub(expected).abs().max().getFloat();
            assertTrue(maxDiffDouble < 4e-6, "max |x_t − diffusers| with the double schedule = " + maxDiffDouble);
        }
    }

    /**
     * The posterior (Eq. 6–7) is Bayes' rule: for fixed x₀ and x_t, q(x_{t−1} | x_t, x₀) ∝
     * q(x_t | x_{t−1}) q(x_{t−1} | x₀), a product of two Gaussians in x_{t−1} — N(x_t/√α_t, β_t/α_t)
     * and N(√ᾱ_{t−1} x₀, 1 − ᾱ_{t−1}) — whose precision and mean are computed here from α, β, ᾱ only.
     */
    @Test
    void posteriorIsTheNormalisedProductOfGaussians() {
        double x0 = 0.3;
        double xtValue = -1.2;
        try (NDManager m = NDManager.newBaseManager()) {
            for (int t : new int[] {1, 2, 10, 500, 999}) {
                double alpha = schedule.alpha(t);
                double beta = schedule.beta(t);
                double abPrev = schedule.alphaCumprod(t - 1);
                double precision = alpha / beta + 1 / (1 - abPrev);
                double mean = (Math.sqrt(alpha) * xtValue / beta + Math.sqrt(abPrev) * x0 / (1 - abPrev)) / precision;
                GaussianDiffusion.MeanVariance q = diffusion.qPosteriorMeanVariance(
                        m.create(new double[] {x0}), m.create(new double[] {xtValue}), new int[] {t});
                assertEquals(mean, q.mean().getDouble(0), 1e-12 * Math.abs(mean) + 1e-15, "posterior mean at t=" + t);
                assertEquals(1 / precision, q.variance().getDouble(0), 1e-12 / precision, "posterior variance at t=" + t);
                assertEquals(Math.log(1 / precision), q.logVariance().getDouble(0), 1e-10, "log variance at t=" + t);
            }
            // At t = 0 the "previous" sample is x₀ itself: mean x₀, variance 0.
            GaussianDiffusion.MeanVariance q0 = diffusion.qPosteriorMeanVariance(
                    m.create(new double[] {x0}), m.create(new double[] {xtValue}), new int[] {0});
            assertEquals(x0, q0.mean().getDouble(0), 1e-12);
            assertEquals(0, q0.variance().getDouble(0), 0);
        }
    }

    /**
     * Monte-Carlo check of the posterior as produced by the code: draw x_{t−1} ~ q(x_{t−1} | x₀)
     * with qSample and x_t ~ q(x_t | x_{t−1}) with qStep; then the residual x_{t−1} − μ̃(x₀, x_t)
     * must have mean 0, variance β̃_t and no correlation with x_t (it is independent of x_t exactly
     * when μ̃ is the conditional mean), each within 5 standard errors.
     */
    @Test
    void posteriorMatchesMonteCarloOfTheJointChain() {
        int n = 20000;
        int t = 100;
        double x0Value = 0.5;
        Shape shape = new Shape(n, 1);
        NoiseSource noise = NoiseSource.seeded(7);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = m.full(shape, (float) x0Value).toType(DataType.FLOAT64, false);
            int[] ts = new int[n];
            java.util.Arrays.fill(ts, t - 1);
            NDArray xPrev = diffusion.qSample(x0, ts, noise.normal(m, shape, 0).toType(DataType.FLOAT64, false));
            NDArray xt = diffusion.qStep(xPrev, t, noise.normal(m, shape, 1).toType(DataType.FLOAT64, false));
            java.util.Arrays.fill(ts, t);
            GaussianDiffusion.MeanVariance q = diffusion.qPosteriorMeanVariance(x0, xt, ts);
            double[] r = xPrev.sub(q.mean()).toDoubleArray();
            double[] x = xt.toDoubleArray();
            double variance = q.variance().getDouble(0, 0);
            double rMean = mean(r);
            double rVar = variance(r, rMean);
            double xMean = mean(x);
            double cov = 0;
            for (int i = 0; i < n; i++) {
                cov += (r[i] - rMean) * (x[i] - xMean);
            }
            double corr = cov / n / Math.sqrt(rVar * variance(x, xMean));
            assertEquals(0, rMean, 5 * Math.sqrt(variance / n));
            assertEquals(variance, rVar, 5 * variance * Math.sqrt(2.0 / (n - 1)));
            assertEquals(0, corr, 5 / Math.sqrt(n));
        }
    }

    /** A double schedule whose ᾱ are exactly diffusers' float32 alphas_cumprod from the fixture. */
    static NoiseSchedule diffusersSchedule(SafeTensors ref) {
        float[] acp32 = ref.floats("ddpm_fixed_small/alphas_cumprod");
        double[] betas = new double[acp32.length];
        for (int i = 0; i < betas.length; i++) {
            betas[i] = 1 - acp32[i] / (i == 0 ? 1.0 : (double) acp32[i - 1]);
        }
        return NoiseSchedule.fromBetas(betas);
    }

    static double[] toDoubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    static double variance(double[] v, double mean) {
        double s = 0;
        for (double x : v) {
            s += (x - mean) * (x - mean);
        }
        return s / (v.length - 1);
    }
}
