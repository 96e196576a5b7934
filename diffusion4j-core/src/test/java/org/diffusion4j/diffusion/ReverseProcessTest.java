package org.diffusion4j.diffusion;

import static org.diffusion4j.diffusion.PredictionTypeTest.assertClose;
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
import org.junit.jupiter.api.Test;

/** The model's reverse kernel p_θ(x_{t−1} | x_t). */
class ReverseProcessTest {

    static final Path REF = Path.of("src/test/resources/fixtures/diffusers/reference/schedulers.safetensors");

    final NoiseSchedule schedule = NoiseSchedule.linear();
    final GaussianDiffusion diffusion = new GaussianDiffusion(schedule);

    /**
     * diffusers' DDPMScheduler.step (1000-step schedule, clip_sample=True) at t = 999, 500, 1, 0:
     * x̂₀ = pred_original_sample, and mean + √variance · noise = prev_sample, for fixed_small and
     * fixed_large (at t = 0 diffusers draws no noise; the fixture stores zeros). Tolerances: with
     * diffusers' float32 ᾱ (rebuilt exactly as a double schedule) the match is float32 rounding
     * (measured ≤ 1.2e-6), and ≤ 3.5e-6 with our double schedule — except at t = 1, where
     * diffusers itself computes β_t = 1 − ᾱ_t/ᾱ_{t−1} and 1 − ᾱ in float32 (ᾱ ≈ 0.9998, so they
     * carry ~4e-4 relative error) and its prev_sample is off by ~5.6e-5 whichever schedule we use.
     * Swapping fixed_small and fixed_large at t = 1 would change x_{t−1} by ~4e-3·|noise|.
     */
    @Test
    void reproducesDiffusersDdpmStep() throws Exception {
        SafeTensors ref = SafeTensors.read(REF);
        GaussianDiffusion diffusers = new GaussianDiffusion(ForwardProcessTest.diffusersSchedule(ref));
        for (VarianceType v : new VarianceType[] {VarianceType.FIXED_SMALL, VarianceType.FIXED_LARGE}) {
            String key = "ddpm_step_" + v.diffusersName() + "/";
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray output = ref.toNDArray(key + "model_output", m);
                NDArray sample = ref.toNDArray(key + "sample", m);
                NDArray noise = ref.toNDArray(key + "noise", m);
                NDArray prev = ref.toNDArray(key + "prev_sample", m);
                NDArray x0 = ref.toNDArray(key + "pred_original_sample", m);
                long[] ts = ref.longs(key + "t");
                for (int i = 0; i < ts.length; i++) {
                    int t = (int) ts[i];
                    for (int s = 0; s < 2; s++) {
                        GaussianDiffusion d = s == 0 ? diffusers : diffusion;
                        GaussianDiffusion.ModelMeanVariance p = d.pMeanVariance(output.get(i), PredictionType.EPSILON,
                                sample.get(i), new int[] {t, t}, true, v);
                        NDArray x = p.mean().add(p.variance().sqrt().mul(noise.get(i)));
                        double diff = Math.max(p.predictedX0().sub(x0.get(i)).abs().max().getFloat(),
                                x.sub(prev.get(i)).abs().max().getFloat());
                        double tol = t == 1 ? 1e-4 : s == 0 ? 2e-6 : 5e-6;
                        assertTrue(diff < tol, v + " at t=" + t + (s == 0 ? " with diffusers' ᾱ" : " with the double schedule")
                                + ": max |diff| = " + diff);
                    }
                }
            }
        }
    }

    /** pSample (Algorithm 2) with the denoiser's output replayed reproduces diffusers' prev_sample. */
    @Test
    void pSampleReproducesDiffusersPrevSample() throws Exception {
        SafeTensors ref = SafeTensors.read(REF);
        GaussianDiffusion diffusers = new GaussianDiffusion(ForwardProcessTest.diffusersSchedule(ref));
        try (NDManager m = NDManager.newBaseManager()) {
            String key = "ddpm_step_fixed_small/";
            NDArray output = ref.toNDArray(key + "model_output", m);
            NDArray sample = ref.toNDArray(key + "sample", m);
            NDArray noise = ref.toNDArray(key + "noise", m);
            NDArray prev = ref.toNDArray(key + "prev_sample", m);
            long[] ts = ref.longs(key + "t");
            for (int i = 0; i < ts.length; i++) {
                int t = (int) ts[i];
                NDArray x = diffusers.pSample(constant(output.get(i), PredictionType.EPSILON), sample.get(i), t, noise.get(i), true,
                        VarianceType.FIXED_SMALL);
                double diff = x.sub(prev.get(i)).abs().max().getFloat();
                assertTrue(diff < (t == 1 ? 1e-4 : 2e-6), "t=" + t + ": " + diff);
            }
        }
    }

    /**
     * A denoiser that knows the noise predicts the posterior exactly: p_θ's mean equals the
     * posterior mean μ̃(x₀, x_t) for every parameterisation, and its variance is β̃_t (fixed_small)
     * or β_t (fixed_large; β̃_1 at t = 0).
     */
    @Test
    void anOracleDenoiserGivesThePosteriorMean() {
        Shape shape = new Shape(3, 2, 4, 4);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = NoiseSource.seeded(5).normal(m, shape, 0).mul(0.5).toType(DataType.FLOAT64, false);
            NDArray eps = NoiseSource.seeded(5).normal(m, shape, 1).toType(DataType.FLOAT64, false);
            for (int t : new int[] {0, 1, 250, 999}) {
                int[] ts = {t, t, t};
                NDArray xt = diffusion.qSample(x0, ts, eps);
                GaussianDiffusion.MeanVariance q = diffusion.qPosteriorMeanVariance(x0, xt, ts);
                for (PredictionType type : PredictionType.values()) {
                    NDArray target = diffusion.trainingTarget(type, x0, eps, ts);
                    Denoiser oracle = constant(target, type);
                    GaussianDiffusion.ModelMeanVariance small = diffusion.pMeanVariance(oracle, xt, t, false, VarianceType.FIXED_SMALL);
                    assertClose(q.mean(), small.mean(), 1e-9, type + " mean at t=" + t);
                    assertClose(x0, small.predictedX0(), 1e-9, type + " x̂₀ at t=" + t);
                    assertEquals(schedule.posteriorVariance(t), small.variance().getDouble(0, 0, 0, 0), 1e-18);
                    assertEquals(schedule.posteriorLogVarianceClipped(t), small.logVariance().getDouble(0, 0, 0, 0), 1e-12);
                    GaussianDiffusion.ModelMeanVariance large = diffusion.pMeanVariance(oracle, xt, t, false, VarianceType.FIXED_LARGE);
                    double expected = t == 0 ? schedule.posteriorVariance(1) : schedule.beta(t);
                    assertEquals(expected, large.variance().getDouble(0, 0, 0, 0), 1e-18);
                    assertEquals(Math.log(expected), large.logVariance().getDouble(0, 0, 0, 0), 1e-12);
                }
            }
        }
    }

    /** With clipping, x̂₀ is clamped to [−1, 1] before it enters the posterior mean. */
    @Test
    void clippingClampsPredictedX0() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = m.create(new double[] {-3, -0.5, 0.25, 2}, new Shape(4, 1));
            NDArray eps = m.create(new double[] {0.1, -0.2, 0.3, -0.4}, new Shape(4, 1));
            int[] ts = {100, 100, 100, 100};
            NDArray xt = diffusion.qSample(x0, ts, eps);
            GaussianDiffusion.ModelMeanVariance p = diffusion.pMeanVariance(eps, PredictionType.EPSILON, xt, ts, true, VarianceType.FIXED_SMALL);
            assertClose(m.create(new double[] {-1, -0.5, 0.25, 1}, new Shape(4, 1)), p.predictedX0(), 1e-12, "clipped x̂₀");
            NDArray clippedX0 = x0.clip(-1, 1);
            assertClose(diffusion.qPosteriorMeanVariance(clippedX0, xt, ts).mean(), p.mean(), 1e-12, "mean from clipped x̂₀");
        }
    }

    /**
     * Learned variances read the second half of the channels: learned_range interpolates
     * log β̃_t (v = −1) and log β_t (v = +1) (Eq. 15 of Nichol &amp; Dhariwal 2021); learned takes
     * the log variance as is. A 1×-channel output is refused with a message naming the fix.
     */
    @Test
    void learnedVariancesReadTheSecondHalfOfTheChannels() {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape shape = new Shape(2, 3, 2, 2);
            NDArray xt = NoiseSource.seeded(3).normal(m, shape, 0).toType(DataType.FLOAT64, false);
            NDArray eps = NoiseSource.seeded(3).normal(m, shape, 1).toType(DataType.FLOAT64, false);
            int[] ts = {40, 700};
            for (double v : new double[] {-1, 0, 0.5, 1}) {
                NDArray out = eps.concat(m.full(shape, (float) v).toType(DataType.FLOAT64, false), 1);
                GaussianDiffusion.ModelMeanVariance p = diffusion.pMeanVariance(out, PredictionType.EPSILON, xt, ts, false,
                        VarianceType.LEARNED_RANGE);
                for (int j = 0; j < 2; j++) {
                    double frac = (v + 1) / 2;
                    double expected = frac * Math.log(schedule.beta(ts[j])) + (1 - frac) * schedule.posteriorLogVarianceClipped(ts[j]);
                    assertEquals(expected, p.logVariance().getDouble(j, 1, 1, 0), 1e-12, "v=" + v + " sample " + j);
                    assertEquals(Math.exp(expected), p.variance().getDouble(j, 2, 0, 1), 1e-15);
                }
                GaussianDiffusion.ModelMeanVariance fixed = diffusion.pMeanVariance(eps, PredictionType.EPSILON, xt, ts, false,
                        VarianceType.FIXED_SMALL);
                assertClose(fixed.mean(), p.mean(), 1e-12, "the mean ignores the variance channels");
                GaussianDiffusion.ModelMeanVariance learned = diffusion.pMeanVariance(out, PredictionType.EPSILON, xt, ts, false,
                        VarianceType.LEARNED);
                assertEquals(v, learned.logVariance().getDouble(1, 2, 1, 1), 0);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> diffusion.pMeanVariance(eps, PredictionType.EPSILON, xt, ts, false, VarianceType.LEARNED_RANGE));
            assertTrue(e.getMessage().contains("2C = 6 channels") && e.getMessage().contains("fixed_small"), e.getMessage());
        }
    }

    /** A denoiser that returns a fixed array (a copy in x's manager), whatever x and t. */
    static Denoiser constant(NDArray output, PredictionType type) {
        return new Denoiser() {
            @Override
            public NDArray predict(NDArray x, double t) {
                NDArray copy = output.duplicate();
                copy.attach(x.getManager());
                return copy;
            }

            @Override
            public PredictionType predictionType() {
                return type;
            }
        };
    }
}
