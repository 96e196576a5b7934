package org.diffusion4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;
import org.junit.jupiter.api.Test;

class SigmasTest {

    static final NoiseSchedule LINEAR = NoiseSchedule.linear();

    /**
     * diffusers' EulerDiscreteScheduler.set_timesteps(20) on the DDPM schedule: float32 timesteps
     * (bit-equal after rounding ours to float, as diffusers does), 21 σ's, init_noise_sigma = σ_max
     * for linspace.
     */
    @Test
    void eulerGridIsDiffusers() throws IOException {
        SafeTensors ref = SafeTensors.read(EulerTest.REF.resolve("schedulers.safetensors"));
        Sigmas grid = Sigmas.euler(LINEAR, 20, TimestepSpacing.LINSPACE, 0, false, Sigmas.KARRAS_RHO, Double.NaN, Double.NaN, true);
        float[] t = ref.floats("euler/timesteps");
        for (int i = 0; i < t.length; i++) {
            assertEquals(t[i], (float) grid.timestep(i), 0, "timestep " + i);
        }
        assertSigmas(ref.floats("euler/sigmas"), grid);
        assertEquals(ref.floats("euler/init_noise_sigma")[0], grid.initNoiseSigma(), 2e-7 * grid.initNoiseSigma());
    }

    /** diffusers' DPMSolverMultistepScheduler.set_timesteps(20): integer timesteps, σ(t), final σ 0. */
    @Test
    void dpmSolverGridIsDiffusers() throws IOException {
        SafeTensors ref = SafeTensors.read(EulerTest.REF.resolve("schedulers.safetensors"));
        Sigmas grid = Sigmas.dpmSolver(LINEAR, 20, TimestepSpacing.LINSPACE, 0, false, Sigmas.KARRAS_RHO, Double.NaN, Double.NaN, true, Double.NEGATIVE_INFINITY);
        long[] t = ref.longs("dpmpp_2m/timesteps");
        for (int i = 0; i < t.length; i++) {
            assertEquals(t[i], grid.timestep(i), 0, "timestep " + i);
        }
        assertSigmas(ref.floats("dpmpp_2m/sigmas"), grid);
        assertEquals(1.0, grid.initNoiseSigma());
    }

    /**
     * diffusers computes ᾱ by a float32 cumulative product; its relative error δ stays near
     * √T·2⁻²⁴ ≈ 2e-6 (measured 3.5e-7 here), and σ = √((1−ᾱ)/ᾱ) turns it into δ/(2(1−ᾱ)) relative,
     * large only near t = 0 where 1 − ᾱ ≈ 1e-4. Plus the float32 rounding of the stored σ.
     */
    static void assertSigmas(float[] expected, Sigmas grid) {
        assertEquals(expected.length, grid.steps() + 1);
        assertEquals(0, grid.sigma(grid.steps()));
        for (int i = 0; i < expected.length - 1; i++) {
            double s = grid.sigma(i);
            double oneMinusAlphaCumprod = s * s / (1 + s * s);
            double tol = s * (1e-7 + 2e-6 / (2 * oneMinusAlphaCumprod));
            assertEquals(expected[i], s, tol, "sigma " + i);
        }
    }

    @Test
    void leadingAndTrailingSpacingsFollowDiffusers() {
        Sigmas leading = Sigmas.euler(LINEAR, 10, TimestepSpacing.LEADING, 1, false, 7, Double.NaN, Double.NaN, true);
        assertArrayEquals(new double[] {901, 801, 701, 601, 501, 401, 301, 201, 101, 1}, leading.timesteps());
        assertEquals(Math.sqrt(LINEAR.sigma(901) * LINEAR.sigma(901) + 1), leading.initNoiseSigma(), 1e-12);
        Sigmas trailing = Sigmas.euler(LINEAR, 10, TimestepSpacing.TRAILING, 0, false, 7, Double.NaN, Double.NaN, true);
        assertArrayEquals(new double[] {999, 899, 799, 699, 599, 499, 399, 299, 199, 99}, trailing.timesteps());
        assertEquals(LINEAR.sigma(999), trailing.initNoiseSigma(), 0);
        assertEquals(LINEAR.sigma(399), trailing.sigma(6), 0);
        // DPM-Solver's leading spacing divides by n+1 and drops t = 0: ⌊1000/11⌋ = 90
        Sigmas dpmLeading = Sigmas.dpmSolver(LINEAR, 10, TimestepSpacing.LEADING, 0, false, 7, Double.NaN, Double.NaN, true, Double.NEGATIVE_INFINITY);
        assertArrayEquals(new double[] {900, 810, 720, 630, 540, 450, 360, 270, 180, 90}, dpmLeading.timesteps());
        assertArrayEquals(trailing.timesteps(), Sigmas.dpmSolver(LINEAR, 10, TimestepSpacing.TRAILING, 0, false, 7, Double.NaN, Double.NaN, true, Double.NEGATIVE_INFINITY).timesteps());
    }

    @Test
    void karrasSigmasFollowEq5() {
        double[] s = Sigmas.karras(0.01, 157.4, 8, 7);
        assertEquals(157.4, s[0], 1e-12);
        assertEquals(0.01, s[7], 1e-15);
        for (int i = 1; i < 8; i++) {
            double step = Math.pow(s[i], 1 / 7.0) - Math.pow(s[i - 1], 1 / 7.0);
            assertEquals((Math.pow(0.01, 1 / 7.0) - Math.pow(157.4, 1 / 7.0)) / 7, step, 1e-12, "σ^(1/ρ) is evenly spaced");
        }
        Sigmas euler = Sigmas.euler(LINEAR, 8, TimestepSpacing.LINSPACE, 0, true, 7, Double.NaN, Double.NaN, true);
        assertEquals(LINEAR.sigma(999), euler.sigma(0), 1e-12);
        assertEquals(LINEAR.sigma(0), euler.sigma(7), 1e-12);
        assertEquals(999, euler.timestep(0), 1e-4);
        assertEquals(0, euler.timestep(7), 1e-4);
        Sigmas dpm = Sigmas.dpmSolver(LINEAR, 8, TimestepSpacing.LINSPACE, 0, true, 7, Double.NaN, Double.NaN, true, Double.NEGATIVE_INFINITY);
        for (int i = 0; i < 8; i++) {
            assertEquals(Math.rint(Sigmas.sigmaToTimestep(LINEAR, dpm.sigma(i))), dpm.timestep(i), 0);
            assertEquals(euler.sigma(i), dpm.sigma(i), 1e-9 * euler.sigma(i), "the same Karras σ's for linspace");
        }
        assertThrows(IllegalArgumentException.class, () -> Sigmas.karras(0, 1, 5, 7));
    }

    @Test
    void sigmaToTimestepInvertsLogLinearInterpolation() {
        for (int t : new int[] {0, 1, 17, 500, 998, 999}) {
            assertEquals(t, Sigmas.sigmaToTimestep(LINEAR, LINEAR.sigma(t)), 1e-9);
        }
        double geometricMean = Math.sqrt(LINEAR.sigma(300) * LINEAR.sigma(301));
        assertEquals(300.5, Sigmas.sigmaToTimestep(LINEAR, geometricMean), 1e-9);
        assertEquals(0, Sigmas.sigmaToTimestep(LINEAR, 1e-6), 0, "clamped below σ(0)");
        assertEquals(999, Sigmas.sigmaToTimestep(LINEAR, 1e6), 0, "clamped above σ(T−1)");
        double mid = (LINEAR.sigma(300) + LINEAR.sigma(301)) / 2;
        assertEquals(mid, Sigmas.sigmaAt(LINEAR, 300.5), 1e-12);
        assertEquals(LINEAR.sigma(999), Sigmas.sigmaAt(LINEAR, 1200), 0);
    }

    @Test
    void optionsChooseFinalSigmaKarrasEndsAndInterpolation() {
        SamplerOptions o = ConvergenceOrderTest.opts(12, TimestepSpacing.TRAILING, 0, false).toBuilder().finalSigmaZero(false).build();
        assertEquals(LINEAR.sigma(0), Sigmas.euler(LINEAR, o).sigma(12), 0, "final_sigmas_type sigma_min");
        assertEquals(LINEAR.sigma(0), Sigmas.dpmSolver(LINEAR, o).sigma(12), 0);
        assertEquals(0, Sigmas.euler(LINEAR, ConvergenceOrderTest.opts(12, TimestepSpacing.TRAILING, 0, false)).sigma(12), 0);
        SamplerOptions k = ConvergenceOrderTest.opts(6, TimestepSpacing.LINSPACE, 0, true).toBuilder().sigmaMin(0.05).sigmaMax(80).rho(3).build();
        for (Sigmas g : new Sigmas[] {Sigmas.euler(LINEAR, k), Sigmas.dpmSolver(LINEAR, k)}) {
            assertArrayEquals(Sigmas.karras(0.05, 80, 6, 3), java.util.Arrays.copyOf(g.sigmas(), 6), 1e-12);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Sigmas.euler(LINEAR,
                SamplerOptions.builder().interpolation(SamplerOptions.SigmaInterpolation.LOG_LINEAR).build()));
        assertTrue(e.getMessage().contains("interpolation_type"), e.getMessage());
    }

    @Test
    void refusesBadStepCounts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sigmas.euler(LINEAR, 0, TimestepSpacing.LINSPACE, 0, false, 7, Double.NaN, Double.NaN, true));
        assertTrue(e.getMessage().contains("steps"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Sigmas.dpmSolver(LINEAR, 1001, TimestepSpacing.LINSPACE, 0, false, 7, Double.NaN, Double.NaN, true, Double.NEGATIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> Sigmas.dpmSolver(LINEAR, 10, TimestepSpacing.LEADING, 200, false, 7, Double.NaN, Double.NaN, true, Double.NEGATIVE_INFINITY));
    }
}
