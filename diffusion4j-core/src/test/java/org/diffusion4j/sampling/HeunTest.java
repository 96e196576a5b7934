package org.diffusion4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HeunTest {

    private static int threads;

    @BeforeAll
    static void oneThread() {
        threads = ConvergenceOrderTest.oneThread();
    }

    @AfterAll
    static void restoreThreads() {
        ConvergenceOrderTest.restoreThreads(threads);
    }

    @Test
    void gaussianDataGetsItsMeanAndVariance() {
        // 50 steps (99 evaluations): variance excess 0.56% in closed form, under half the 3.9% tolerance
        NoiseSchedule schedule = NoiseSchedule.linear();
        Sampler heun = new Heun(schedule, ConvergenceOrderTest.opts(50, TimestepSpacing.LINSPACE, 0, false));
        ConvergenceOrderTest.assertMoments(heun, new AnalyticGaussianDenoiser(schedule, 0.3, 0.5, PredictionType.EPSILON), 0.3, 0.5);
    }

    @Test
    void costsTwoEvaluationsPerStepButTheLast() {
        NoiseSchedule schedule = NoiseSchedule.linear();
        assertEquals(2 * 12 - 1, new Heun(schedule, ConvergenceOrderTest.opts(12, TimestepSpacing.TRAILING, 0, false)).evaluations());
        ConvergenceOrderTest.assertContract(new Heun(schedule, ConvergenceOrderTest.opts(6, TimestepSpacing.TRAILING, 0, false)), schedule,
                ConvergenceOrderTest.linearSigma(schedule));
        ConvergenceOrderTest.assertContract(new Heun(schedule, ConvergenceOrderTest.opts(6, TimestepSpacing.LINSPACE, 0, true)), schedule,
                ConvergenceOrderTest.logLinearSigma(schedule));
        // ending at σ(0) instead of 0, the last step is a Heun step too: 2n evaluations
        Heun toSigmaMin = new Heun(schedule, ConvergenceOrderTest.opts(6, TimestepSpacing.TRAILING, 0, false).toBuilder().finalSigmaZero(false).build());
        assertEquals(12, toSigmaMin.evaluations());
        ConvergenceOrderTest.assertContract(toSigmaMin, schedule, ConvergenceOrderTest.linearSigma(schedule));
        // churn below S_tmax = 100 (the first level, σ(999) ≈ 157, keeps its timestep), Karras grid
        ConvergenceOrderTest.assertContract(new Heun(schedule, ConvergenceOrderTest.opts(6, TimestepSpacing.LINSPACE, 0, true).toBuilder()
                .sChurn(2).sTmax(100).sNoise(1.003).build()), schedule, ConvergenceOrderTest.logLinearSigma(schedule));
        assertTrue(Samplers.create("heun", schedule, SamplerOptions.ofSteps(5)) instanceof Heun);
        assertEquals("heun", new Heun(schedule, ConvergenceOrderTest.opts(6, TimestepSpacing.LINSPACE, 0, false)).name());
    }
}
