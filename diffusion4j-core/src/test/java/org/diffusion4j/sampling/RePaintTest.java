package org.diffusion4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;

/** RePaint's jump schedule (diffusers' get_schedule_jump) and its inpainting against the closed-form conditional. */
class RePaintTest {

    @Test
    void jumpScheduleIsDiffusers() {
        // diffusers get_schedule_jump(10, jump_length=3, jump_n_sample=2): jumps at 0, 3 and 6 (range(0, 10 − 3, 3))
        int[] expected = {9, 8, 7, 6, 7, 8, 9, 8, 7, 6, 5, 4, 3, 4, 5, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 2, 1, 0};
        assertArrayEquals(expected, RePaint.jumpSchedule(10, 3, 2));
        assertArrayEquals(new int[] {4, 3, 2, 1, 0}, RePaint.jumpSchedule(5, 10, 10), "no jump fits: plain descent");
        assertArrayEquals(new int[] {2, 1, 0}, RePaint.jumpSchedule(3, 1, 1), "r = 1: no resampling");
    }

    @Test
    void jumpScheduleMovesOneLevelAtATimeAndDescendsEveryLevelRTimes() {
        int n = 50;
        int length = 5;
        int r = 4;
        int[] ts = RePaint.jumpSchedule(n, length, r);
        assertEquals(n - 1, ts[0]);
        assertEquals(0, ts[ts.length - 1]);
        int down = 1;
        for (int i = 1; i < ts.length; i++) {
            assertEquals(1, Math.abs(ts[i] - ts[i - 1]), "one level per entry at " + i);
            down += ts[i] < ts[i - 1] ? 1 : 0;
        }
        int jumps = (n - length + length - 1) / length; // j = 0, 5, …, 40
        assertEquals(n + jumps * (r - 1) * length, down);
    }

    @Test
    void refusesBadSettingsBeforeAllocating() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RePaint.jumpSchedule(10, 0, 2)).getMessage()
                .contains("--jump-length"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RePaint.jumpSchedule(10, 2, 0)).getMessage()
                .contains("--jump-n-sample"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RePaint.jumpSchedule(1000, 10, Integer.MAX_VALUE))
                .getMessage().contains("lower --jump-n-sample"));
    }

    /**
     * Two pixels, jointly Gaussian with correlation ρ = 0.9; pixel 1 known (c = 1.5), pixel 2 repainted: the exact answer
     * is N(ρc, 1 − ρ²) = N(1.35, 0.19). RePaint's claim (Sec. 4.2) in closed form: without resampling the repainted
     * pixel ignores much of the known one (measured mean 0.92), with resampling (100 DDPM steps, L = 10, r = 10) it
     * follows it (1.28; 1.32 at 250 steps). The known pixel comes back exactly either way.
     */
    @Test
    void resamplingHarmonisesTowardsTheExactConditionalOfAGaussian() {
        double rho = 0.9;
        float c = 1.5f;
        double[] resampled = inpaintPair(rho, c, 10);
        double[] plain = inpaintPair(rho, c, 1);
        double exactMean = rho * c;
        double exactVariance = 1 - rho * rho;
        assertEquals(exactMean, resampled[0], 0.1, "conditional mean with resampling");
        assertEquals(exactVariance, resampled[1], 0.04, "conditional variance with resampling");
        assertTrue(Math.abs(plain[0] - exactMean) > 3 * Math.abs(resampled[0] - exactMean),
                "without resampling the mean " + plain[0] + " should be far worse than " + resampled[0]);
    }

    /** Mean and variance of pixel 2 over 4000 inpaintings given pixel 1 = c; asserts pixel 1 is kept exactly. */
    private static double[] inpaintPair(double rho, float c, int jumpNSample) {
        NoiseSchedule schedule = NoiseSchedule.linear();
        int n = 4000;
        RePaint repaint = new RePaint(schedule, SamplerOptions.builder().steps(100).eta(1).build(), 10, jumpNSample);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = m.create(new float[] {c, -7f}).reshape(1, 1, 1, 2).repeat(0, n); // pixel 2's value must not matter
            NDArray mask = m.create(new float[] {0f, 1f}).reshape(1, 1, 1, 2).repeat(0, n);
            NDArray xT = NoiseSource.seeded(3).normal(m, new Shape(n, 1, 1, 2), 0);
            float[] out = repaint.inpaint(new AnalyticPairDenoiser(schedule, rho), x0, mask, xT, NoiseSource.seeded(4),
                    SamplingListener.NONE).toFloatArray();
            double sum = 0;
            double sq = 0;
            for (int i = 0; i < n; i++) {
                assertEquals(c, out[2 * i], 0f, "known pixel of image " + i);
                sum += out[2 * i + 1];
                sq += (double) out[2 * i + 1] * out[2 * i + 1];
            }
            double mean = sum / n;
            return new double[] {mean, sq / n - mean * mean};
        }
    }
}
