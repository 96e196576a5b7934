package org.diffusion4j.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.diffusion4j.io.SafeTensors;
import org.junit.jupiter.api.Test;

class NoiseScheduleTest {

    static final Path REF = Path.of("src/test/resources/fixtures/diffusers/reference/schedulers.safetensors");

    @Test
    void linearScheduleIsTheDdpmDefault() {
        NoiseSchedule s = NoiseSchedule.linear();
        assertEquals(1000, s.numTimesteps());
        assertEquals(1e-4, s.beta(0), 1e-18);
        assertEquals(0.02, s.beta(999), 1e-18);
        assertEquals(1e-4 + 500 * (0.02 - 1e-4) / 999, s.beta(500), 1e-15);
    }

    @Test
    void derivedQuantitiesMatchTheirClosedForms() {
        NoiseSchedule s = NoiseSchedule.cosine();
        double prod = 1;
        for (int t = 0; t < s.numTimesteps(); t++) {
            double b = s.beta(t);
            double prev = prod;
            prod *= 1 - b;
            assertEquals(prod, s.alphaCumprod(t), 1e-15);
            assertEquals(prev, s.alphaCumprodPrev(t), 1e-15);
            assertEquals(Math.sqrt(1 / prod - 1), s.sqrtRecipm1AlphaCumprod(t), 1e-9 * Math.sqrt(1 / prod));
            assertEquals(s.sqrtAlphaCumprod(t) * s.sqrtRecipAlphaCumprod(t), 1, 1e-12);
            assertEquals(prod / (1 - prod), s.snr(t), 1e-9 * s.snr(t));
            // Eq. 7: β̃_t = (1 − ᾱ_{t−1})/(1 − ᾱ_t) β_t, and the posterior mean is a convex-like combination
            assertEquals((1 - prev) / (1 - prod) * b, s.posteriorVariance(t), 1e-15);
            // μ̃ of x₀ = x_t = 1 when the chain is at rest: c₁ + c₂ relation from Eq. 7
            assertEquals(Math.sqrt(prev) * b / (1 - prod), s.posteriorMeanCoef1(t), 1e-12);
        }
        assertEquals(0, s.posteriorVariance(0), 0);
        assertEquals(Math.log(s.posteriorVariance(1)), s.posteriorLogVarianceClipped(0), 0);
        assertEquals(Math.log(s.posteriorVariance(7)), s.posteriorLogVarianceClipped(7), 0);
    }

    @Test
    void cosineScheduleFollowsNicholDhariwalEq17AndIsCapped() {
        NoiseSchedule s = NoiseSchedule.cosine();
        double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
        for (int t : new int[] {0, 10, 500, 900}) {
            double ft = Math.pow(Math.cos(((t + 1) / 1000.0 + 0.008) / 1.008 * Math.PI / 2), 2);
            assertEquals(ft / f0, s.alphaCumprod(t), 1e-12);
        }
        assertEquals(0.999, s.beta(999), 0);
        for (double b : s.betas()) {
            assertTrue(b <= 0.999);
        }
    }

    @Test
    void scaledLinearAndSigmoidEndpoints() {
        double[] sl = BetaSchedule.SCALED_LINEAR.betas(1000, 0.00085, 0.012);
        assertEquals(0.00085, sl[0], 1e-15);
        assertEquals(0.012, sl[999], 1e-15);
        assertEquals(Math.pow((Math.sqrt(0.00085) + Math.sqrt(0.012)) / 2, 2), BetaSchedule.SCALED_LINEAR.betas(3, 0.00085, 0.012)[1], 1e-15);
        double[] sg = BetaSchedule.SIGMOID.betas(1000, 1e-4, 0.02);
        assertEquals(1e-4 + (0.02 - 1e-4) / (1 + Math.exp(6)), sg[0], 1e-15);
        assertEquals(sg[0] + sg[999], 1e-4 + 0.02, 1e-15, "the sigmoid schedule is symmetric about its midpoint");
    }

    @Test
    void namesMapToDiffusers() {
        assertEquals(BetaSchedule.SQUAREDCOS_CAP_V2, BetaSchedule.parse("squaredcos_cap_v2"));
        assertEquals(BetaSchedule.SCALED_LINEAR, BetaSchedule.parse("scaled_linear"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BetaSchedule.parse("quadratic"));
        assertTrue(e.getMessage().contains("squaredcos_cap_v2"));
        assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.fromBetas(new double[] {0.1, 1.5}));
    }

    @Test
    void alphasCumprodAgreesWithDiffusersToFloat32Precision() throws Exception {
        SafeTensors ref = SafeTensors.read(REF);
        float[] betas = ref.floats("betas");
        float[] acp = ref.floats("ddpm_fixed_small/alphas_cumprod");
        NoiseSchedule s = NoiseSchedule.linear();
        double worst = 0;
        for (int t = 0; t < 1000; t++) {
            assertEquals(betas[t], s.beta(t), 1e-6 * s.beta(t));
            worst = Math.max(worst, Math.abs(acp[t] - s.alphaCumprod(t)) / s.alphaCumprod(t));
        }
        // diffusers multiplies 1000 float32 factors: its rounding error grows to a few 1e-6 relative.
        assertTrue(worst < 5e-6, "max relative difference " + worst);
        assertTrue(worst > 0, "float32 and double cannot agree exactly");
    }

    @Test
    void zeroTerminalSnrRescalingEndsAtSnrZeroAndKeepsTheFirstStep() {
        NoiseSchedule s = NoiseSchedule.linear();
        NoiseSchedule z = s.rescaledToZeroTerminalSnr();
        assertEquals(0, z.alphaCumprod(999), 1e-20);
        assertEquals(s.alphaCumprod(0), z.alphaCumprod(0), 1e-12);
    }

    @Test
    void karrasSigmaIsTheVarianceExplodingNoiseLevel() {
        NoiseSchedule s = NoiseSchedule.linear();
        for (int t : new int[] {0, 499, 999}) {
            double sigma = s.sigma(t);
            assertEquals(s.alphaCumprod(t), 1 / (1 + sigma * sigma), 1e-12);
        }
    }

    @Test
    void timestepSpacingsMatchDiffusersSetTimesteps() throws Exception {
        SafeTensors ref = SafeTensors.read(REF);
        assertArrayEquals(toInts(ref.longs("ddim_leading/timesteps")), TimestepSpacing.LEADING.timesteps(1000, 50, 0));
        assertArrayEquals(toInts(ref.longs("ddim_trailing/timesteps")), TimestepSpacing.TRAILING.timesteps(1000, 50, 0));
        assertArrayEquals(toInts(ref.longs("ddpm_fixed_small/timesteps")), TimestepSpacing.LEADING.timesteps(1000, 50, 0));
        int[] lin = TimestepSpacing.LINSPACE.timesteps(1000, 20, 0);
        assertEquals(999, lin[0]);
        assertEquals(0, lin[19]);
        assertEquals(Math.rint(18 * 999 / 19.0), lin[1]);
        assertArrayEquals(new int[] {999, 899, 799, 699, 599, 499, 399, 299, 199, 99}, TimestepSpacing.TRAILING.timesteps(1000, 10, 0));
        assertThrows(IllegalArgumentException.class, () -> TimestepSpacing.LEADING.timesteps(1000, 0, 0));
    }

    private static int[] toInts(long[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = Math.toIntExact(a[i]);
        }
        return out;
    }
}
