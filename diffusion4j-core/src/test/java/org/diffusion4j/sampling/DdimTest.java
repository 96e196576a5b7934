package org.diffusion4j.sampling;

import org.diffusion4j.diffusion.NoiseSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(IntraOpThreads.class)
class DdimTest {

    static final NoiseSchedule SCHEDULE = NoiseSchedule.linear();
    static final double MU = 0.3;
    static final double S = 0.5;
    static final int N = 20_000;

    static final NoiseSource NO_NOISE = (m, s, i) -> {
        throw new AssertionError("η = 0 drew noise");
    };

    static NDArray xT(NDManager m, long seed) {
        return NoiseSource.seeded(seed).normal(m, new Shape(N), 0);
    }

    static double maxDiff(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    /**
     * 50 DDIM steps with the exact ε of N(μ, s²) data. The mean matches μ within 4 standard errors. The variance
     * does not match s² at 50 steps, and must not: even with the exact denoiser, DDIM's discretisation shrinks it
     * (exact output variance of the chain: 0.223 for η = 0, 0.197 for η = 1, vs s² = 0.25; it tends to s² as the
     * steps grow, checked below). So the sample variance is held to the chain's exact variance, within 4 SE.
     */
    @Test
    void fiftyStepsMatchTheExactChainMoments() {
        for (double eta : new double[] {0, 1}) {
            try (NDManager m = NDManager.newBaseManager()) {
                Ddim ddim = new Ddim(SCHEDULE, SamplerOptions.builder().steps(50).eta(eta).build());
                var denoiser = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON);
                NDArray x0 = ddim.sample(denoiser, xT(m, 11), eta == 0 ? NO_NOISE : NoiseSource.seeded(12),
                        SamplingListener.NONE);
                double[] got = GaussianMoments.of(x0);
                double[] exact = GaussianMoments.ddimChain(SCHEDULE, ddim.timesteps(), eta, MU, S);
                String what = "η=" + eta + ": sample " + got[0] + ", " + got[1] + "; exact chain " + exact[0] + ", " + exact[1];
                System.out.println(what);
                assertEquals(MU, got[0], 4 * GaussianMoments.seMean(S * S, N), what);
                assertEquals(exact[0], got[0], 4 * GaussianMoments.seMean(exact[1], N), what);
                assertEquals(exact[1], got[1], 4 * GaussianMoments.seVariance(exact[1], N), what);
                assertEquals(50, denoiser.calls());
            }
        }
    }

    /** The discretisation bias of the exact chain vanishes as the steps grow (the reason for the test above). */
    @Test
    void exactChainVarianceTendsToTheDataVariance() {
        double previousGap = Double.POSITIVE_INFINITY;
        for (int steps : new int[] {50, 200, 1000}) {
            int[] ts = TimestepSpacing.LEADING.timesteps(1000, steps, 0);
            double gap = Math.abs(GaussianMoments.ddimChain(SCHEDULE, ts, 0, MU, S)[1] - S * S);
            assertTrue(gap < previousGap, steps + " steps: gap " + gap);
            previousGap = gap;
        }
        assertTrue(previousGap < 0.01 * S * S, "1000 DDIM steps: variance within 1% of s², gap " + previousGap);
    }

    /** DDIM with η = 1 is DDPM with β̃ (Song et al. 2021, Sec. 4.1): same noise, same samples. */
    @Test
    void etaOneIsAncestralSampling() {
        try (NDManager m = NDManager.newBaseManager()) {
            var d = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON);
            NDArray xT = NoiseSource.seeded(1).normal(m, new Shape(1000), 0);
            for (TimestepSpacing spacing : TimestepSpacing.values()) {
                SamplerOptions o = SamplerOptions.builder().steps(25).spacing(spacing).eta(1).build();
                NDArray ddim = new Ddim(SCHEDULE, o).sample(d, xT, NoiseSource.seeded(2), SamplingListener.NONE);
                NDArray ddpm = new Ddpm(SCHEDULE, o).sample(d, xT, NoiseSource.seeded(2), SamplingListener.NONE);
                assertTrue(maxDiff(ddim, ddpm) < 1e-5, spacing + ": " + maxDiff(ddim, ddpm));
            }
        }
    }

    /** ε, x₀ and v parameterisations of the same exact denoiser give the same deterministic samples. */
    @Test
    void everyPredictionTypeGivesTheSameSamples() {
        try (NDManager m = NDManager.newBaseManager()) {
            Ddim ddim = new Ddim(SCHEDULE, SamplerOptions.ofSteps(50));
            NDArray xT = xT(m, 3);
            NDArray eps = ddim.sample(new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON), xT,
                    NO_NOISE, SamplingListener.NONE);
            for (PredictionType p : new PredictionType[] {PredictionType.SAMPLE, PredictionType.V_PREDICTION}) {
                NDArray other = ddim.sample(new AnalyticGaussianDenoiser(SCHEDULE, MU, S, p), xT, NO_NOISE,
                        SamplingListener.NONE);
                assertTrue(maxDiff(other, eps) < 1e-4, p + " differs from ε by " + maxDiff(other, eps));
            }
        }
    }

    @Test
    void sameSeedSameSamplesDifferentSeedDifferentSamples() {
        try (NDManager m = NDManager.newBaseManager()) {
            Ddim ddim = new Ddim(SCHEDULE, SamplerOptions.builder().steps(20).eta(0.5).build());
            var d = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON);
            NDArray xT = xT(m, 5);
            float[] a = ddim.sample(d, xT, NoiseSource.seeded(6), SamplingListener.NONE).toFloatArray();
            float[] b = ddim.sample(d, xT, NoiseSource.seeded(6), SamplingListener.NONE).toFloatArray();
            NDArray c = ddim.sample(d, xT, NoiseSource.seeded(7), SamplingListener.NONE);
            assertArrayEquals(a, b);
            assertTrue(maxDiff(m.create(a), c) > 0.1, "different seeds should give different samples");
        }
    }

    /** σ_t(η) of Eq. 16: η √((1−ᾱ_s)/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_s), zero into ᾱ = 1 and for η = 0. */
    @Test
    void sigmaFollowsEquation16() {
        Ddim half = new Ddim(SCHEDULE, SamplerOptions.builder().eta(0.5).build());
        double at = SCHEDULE.alphaCumprod(500);
        double as = SCHEDULE.alphaCumprod(480);
        assertEquals(0.5 * Math.sqrt((1 - as) / (1 - at)) * Math.sqrt(1 - at / as), half.sigma(500, 480), 1e-15);
        assertEquals(0, half.sigma(0, -1), 0);
        Ddim notOne = new Ddim(SCHEDULE, SamplerOptions.builder().eta(0.5).setAlphaToOne(false).build());
        assertTrue(notOne.sigma(20, -1) > 0, "with set_alpha_to_one=false the last ᾱ is ᾱ_0 < 1");
        assertEquals(0, new Ddim(SCHEDULE, SamplerOptions.defaults()).sigma(500, 480), 0);
        assertThrows(IllegalArgumentException.class, () -> SamplerOptions.builder().eta(1.5).build());
    }

    /** Clipping bounds every x̂₀ the sampler uses; the loop spaces timesteps as asked. */
    @Test
    void clippingAndSpacing() {
        try (NDManager m = NDManager.newBaseManager()) {
            Ddim ddim = new Ddim(SCHEDULE, SamplerOptions.builder().steps(10).clipSample(true).clipSampleRange(0.5).build());
            double[] worst = new double[1];
            ddim.sample(new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON), xT(m, 1), NO_NOISE,
                    (i, n, t, x, x0) -> worst[0] = Math.max(worst[0], x0.abs().max().getFloat()));
            assertEquals(0.5, worst[0], 1e-7, "x̂₀ reaches and never exceeds the clip range");
        }
        assertArrayEquals(new int[] {999, 749, 499, 249}, new Ddim(SCHEDULE,
                SamplerOptions.builder().steps(4).spacing(TimestepSpacing.TRAILING).build()).timesteps());
        assertArrayEquals(new int[] {999, 666, 333, 0}, new Ddim(SCHEDULE,
                SamplerOptions.builder().steps(4).spacing(TimestepSpacing.LINSPACE).build()).timesteps());
        assertArrayEquals(new int[] {751, 501, 251, 1}, new Ddim(SCHEDULE,
                SamplerOptions.builder().steps(4).stepsOffset(1).build()).timesteps());
    }

    /** Dynamic thresholding (Saharia et al. 2022): s = quantile of |x̂₀| per sample, clamped to [1, max]. */
    @Test
    void dynamicThresholdingClampsPerSample() {
        try (NDManager m = NDManager.newBaseManager()) {
            // sample 0: |x| = 0..9 → 0.5-quantile 4.5 → clamped to max 3; sample 1: all small → s = 1
            float[] v = new float[20];
            for (int i = 0; i < 10; i++) {
                v[i] = i % 2 == 0 ? i : -i;
                v[10 + i] = 0.1f * i - 0.5f;
            }
            NDArray x = m.create(v, new Shape(2, 10));
            float[] out = SamplingMath.dynamicThreshold(x, 0.5, 3).toFloatArray();
            for (int i = 0; i < 10; i++) {
                assertEquals(Math.max(-3, Math.min(3, v[i])) / 3, out[i], 1e-6);
                assertEquals(v[10 + i], out[10 + i], 1e-6);
            }
            float[] q = SamplingMath.dynamicThreshold(x, 0.5, 10).toFloatArray();
            // the median of |x| = 0..9 is 4.5 (torch.quantile interpolates): −9 → −4.5/4.5, 4 → 4/4.5
            assertEquals(-1, q[9], 1e-6);
            assertEquals(4 / 4.5, q[4], 1e-6);
        }
    }
}
