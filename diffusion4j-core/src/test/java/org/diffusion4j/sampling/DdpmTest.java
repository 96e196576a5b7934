package org.diffusion4j.sampling;

import org.diffusion4j.diffusion.NoiseSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(IntraOpThreads.class)
class DdpmTest {

    static final NoiseSchedule SCHEDULE = NoiseSchedule.linear();
    static final double MU = 0.3;
    static final double S = 0.5;
    static final int N = 20_000;

    static NDArray xT(NDManager m, long seed) {
        return NoiseSource.seeded(seed).normal(m, new Shape(N), 0);
    }

    /**
     * Algorithm 2 over all 1000 steps with the exact ε of N(μ, s²) data returns N(μ, s²) samples. The chain's own
     * exact output moments (see {@link GaussianMoments}) are within 1.3% of s² for both variances, well inside
     * the 4-standard-error band (4 √(2/n) ≈ 4% of s²), so the samples are held to μ, s² directly and to the exact
     * chain moments.
     */
    @Test
    void thousandStepsRecoverTheDataDistributionForBothVariances() {
        for (VarianceType vt : new VarianceType[] {VarianceType.FIXED_SMALL, VarianceType.FIXED_LARGE}) {
            try (NDManager m = NDManager.newBaseManager()) {
                Ddpm ddpm = new Ddpm(SCHEDULE, SamplerOptions.builder().steps(1000).varianceType(vt).build());
                var denoiser = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON);
                NDArray x0 = ddpm.sample(denoiser, xT(m, 1), NoiseSource.seeded(2), SamplingListener.NONE);
                double[] got = GaussianMoments.of(x0);
                double[] exact = GaussianMoments.ddpmFullChain(SCHEDULE, MU, S, vt == VarianceType.FIXED_LARGE);
                String what = vt + ": sample " + got[0] + ", " + got[1] + "; exact chain " + exact[0] + ", " + exact[1];
                System.out.println(what);
                assertEquals(MU, got[0], 4 * GaussianMoments.seMean(S * S, N), what);
                assertEquals(S * S, got[1], 4 * GaussianMoments.seVariance(S * S, N), what);
                assertEquals(exact[0], got[0], 4 * GaussianMoments.seMean(exact[1], N), what);
                assertEquals(exact[1], got[1], 4 * GaussianMoments.seVariance(exact[1], N), what);
                assertEquals(1000, denoiser.calls());
            }
        }
    }

    /** ε, x₀ and v parameterisations of the same exact denoiser give the same chain (same noise). */
    @Test
    void everyPredictionTypeGivesTheSameSamples() {
        try (NDManager m = NDManager.newBaseManager()) {
            Ddpm ddpm = new Ddpm(SCHEDULE, SamplerOptions.ofSteps(100));
            NDArray xT = NoiseSource.seeded(3).normal(m, new Shape(2000), 0);
            NDArray eps = ddpm.sample(new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON), xT,
                    NoiseSource.seeded(4), SamplingListener.NONE);
            for (PredictionType p : new PredictionType[] {PredictionType.SAMPLE, PredictionType.V_PREDICTION}) {
                NDArray other = ddpm.sample(new AnalyticGaussianDenoiser(SCHEDULE, MU, S, p), xT,
                        NoiseSource.seeded(4), SamplingListener.NONE);
                double diff = other.sub(eps).abs().max().getFloat();
                assertTrue(diff < 1e-4, p + " differs from ε by " + diff);
            }
        }
    }

    @Test
    void sameSeedSameSamplesDifferentSeedDifferentSamples() {
        try (NDManager m = NDManager.newBaseManager()) {
            Ddpm ddpm = new Ddpm(SCHEDULE, SamplerOptions.ofSteps(20));
            var d = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON);
            NDArray xT = xT(m, 5);
            float[] a = ddpm.sample(d, xT, NoiseSource.seeded(6), SamplingListener.NONE).toFloatArray();
            float[] b = ddpm.sample(d, xT, NoiseSource.seeded(6), SamplingListener.NONE).toFloatArray();
            float[] c = ddpm.sample(d, xT, NoiseSource.seeded(7), SamplingListener.NONE).toFloatArray();
            assertArrayEquals(a, b);
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                diff = Math.max(diff, Math.abs(a[i] - c[i]));
            }
            assertTrue(diff > 0.1, "different seeds should give different samples, max diff " + diff);
        }
    }

    /** The loop visits the spaced timesteps once each, reports every step, and leaks nothing into the caller. */
    @Test
    void loopVisitsTimestepsReportsStepsAndKeepsTheCallersManagerClean() {
        try (NDManager m = NDManager.newBaseManager()) {
            Ddpm ddpm = new Ddpm(SCHEDULE, SamplerOptions.ofSteps(10));
            assertArrayEquals(new int[] {900, 800, 700, 600, 500, 400, 300, 200, 100, 0}, ddpm.timesteps());
            assertEquals(10, ddpm.evaluations());
            assertEquals("ddpm", ddpm.name());
            List<Double> ts = new ArrayList<>();
            List<Integer> steps = new ArrayList<>();
            var d = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON);
            NDArray xT = NoiseSource.seeded(1).normal(m, new Shape(2, 3, 4, 4), 0);
            int before = ((BaseNDManager) m).getManagedArrays().size();
            NDArray out = ddpm.sample(d, xT, NoiseSource.seeded(2), (step, total, t, x, x0) -> {
                assertEquals(10, total);
                assertEquals(new Shape(2, 3, 4, 4), x.getShape());
                steps.add(step);
                ts.add(t);
            });
            assertEquals(before + 1, ((BaseNDManager) m).getManagedArrays().size(), "only the result is added");
            assertEquals(m, out.getManager());
            assertEquals(ai.djl.ndarray.types.DataType.FLOAT32, out.getDataType(), "double scalars do not promote x");
            assertEquals(m, xT.getManager());
            assertTrue(xT.toFloatArray().length == 96, "x_T is still usable");
            assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), steps);
            assertEquals(List.of(900.0, 800.0, 700.0, 600.0, 500.0, 400.0, 300.0, 200.0, 100.0, 0.0), ts);
        }
    }

    /** The last step adds no noise (Algorithm 2, z = 0 at t = 1): a stored noise source with n − 1 draws suffices. */
    @Test
    void lastStepDrawsNoNoise() {
        try (NDManager m = NDManager.newBaseManager()) {
            Ddpm ddpm = new Ddpm(SCHEDULE, SamplerOptions.ofSteps(5));
            NDArray xT = NoiseSource.seeded(1).normal(m, new Shape(8), 0);
            StoredNoise four = StoredNoise.of(NoiseSource.seeded(2).normal(m, new Shape(4, 8), 0));
            var d = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON);
            NDArray a = ddpm.sample(d, xT, four, SamplingListener.NONE);
            assertEquals(new Shape(8), a.getShape());
            StoredNoise three = StoredNoise.of(NoiseSource.seeded(2).normal(m, new Shape(3, 8), 0));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ddpm.sample(d, xT, three, SamplingListener.NONE));
            assertTrue(e.getMessage().contains("noise draw 3"), e.getMessage());
        }
    }

    @Test
    void refusesMoreStepsThanTheScheduleHas() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Ddpm(SCHEDULE, SamplerOptions.ofSteps(1001)));
        assertTrue(e.getMessage().contains("1000"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new Ddpm(SCHEDULE, SamplerOptions.builder().steps(1000).stepsOffset(1).build()));
        assertTrue(e.getMessage().contains("steps_offset"), e.getMessage());
        assertNotEquals(null, new Ddpm(SCHEDULE, SamplerOptions.builder().steps(500).stepsOffset(1).build()));
        e = assertThrows(IllegalArgumentException.class, () -> new Ddpm(SCHEDULE,
                SamplerOptions.builder().varianceType(VarianceType.LEARNED_RANGE).build()));
        assertTrue(e.getMessage().contains("learned_range") && e.getMessage().contains("fixed_small"), e.getMessage());
    }
}
