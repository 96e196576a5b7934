package org.diffusion4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;

/** SDEdit: diffusers' img2img step arithmetic, and the faithfulness–realism trade-off in closed form. */
class SdEditTest {

    static final NoiseSchedule SCHEDULE = NoiseSchedule.linear();

    @Test
    void startStepIsDiffusersGetTimesteps() {
        // init_timestep = min(int(n · strength), n); t_start = max(n − init_timestep, 0)
        assertEquals(20, SdEdit.startStep(50, 0.6));
        assertEquals(0, SdEdit.startStep(50, 1.0));
        assertEquals(1, SdEdit.startStep(4, 0.75));
        assertEquals(35, SdEdit.startStep(50, 0.3));
        assertEquals(49, SdEdit.startStep(50, 0.02));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SdEdit.startStep(50, 0.01)).getMessage()
                .contains("raise --strength or --steps"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> SdEdit.startStep(50, 1.5)).getMessage()
                .contains("--strength"));
        assertThrows(IllegalArgumentException.class, () -> SdEdit.startStep(50, Double.NaN));
    }

    @Test
    void runsOnlyTheLastStepsFromTheNoisedGuide() {
        for (String name : new String[] {"ddim", "ddpm", "euler", "heun", "dpm-solver++"}) {
            Sampler sampler = Samplers.create(name, SCHEDULE, SamplerOptions.ofSteps(20));
            AnalyticGaussianDenoiser d = new AnalyticGaussianDenoiser(SCHEDULE, 0, 1, PredictionType.EPSILON);
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray guide = m.full(new Shape(2, 1, 2, 2), 0.5f);
                int[] steps = {0};
                SdEdit.edit(sampler, d, guide, NoiseSource.seeded(0).normal(m, guide.getShape(), 0), 0.25, NoiseSource.seeded(1),
                        (step, total, t, x, x0) -> {
                            assertEquals(steps[0]++, step);
                            assertEquals(5, total);
                        });
                assertEquals(5, steps[0], name);
                long perStep = name.equals("heun") ? 2 : 1;
                assertTrue(d.calls() <= 5 * perStep && d.calls() >= 5, name + ": " + d.calls() + " evaluations for 5 steps");
            }
        }
    }

    /**
     * Data N(0, 1) pixel by pixel and a guide at 2.5 (an unlikely value): deterministic DDIM from strength s maps the
     * guide towards the data — the lower the strength, the closer the edit stays to the guide (faithfulness), the
     * higher, the closer its statistics come to the data's (realism); at s = 1 the guide is nearly forgotten.
     */
    @Test
    void lowStrengthStaysFaithfulHighStrengthBecomesRealistic() {
        Sampler ddim = Samplers.create("ddim", SCHEDULE, SamplerOptions.ofSteps(50));
        AnalyticGaussianDenoiser d = new AnalyticGaussianDenoiser(SCHEDULE, 0, 1, PredictionType.EPSILON);
        double previousDistance = 0;
        double[] means = new double[5];
        int k = 0;
        for (double strength : new double[] {0.2, 0.4, 0.6, 0.8, 1.0}) {
            try (NDManager m = NDManager.newBaseManager()) {
                int n = 2000;
                NDArray guide = m.full(new Shape(n, 1, 1, 1), 2.5f);
                float[] out = SdEdit.edit(ddim, d, guide, NoiseSource.seeded(5).normal(m, guide.getShape(), 0), strength,
                        NoiseSource.seeded(6), SamplingListener.NONE).toFloatArray();
                double distance = 0;
                double mean = 0;
                for (float v : out) {
                    distance += (v - 2.5) * (v - 2.5) / n;
                    mean += v / n;
                }
                assertTrue(distance > previousDistance, "strength " + strength + ": distance to the guide " + distance
                        + " should grow with strength (previous " + previousDistance + ")");
                previousDistance = distance;
                means[k++] = mean;
            }
        }
        assertTrue(means[0] > 2.0, "strength 0.2 stays near the guide: mean " + means[0]);
        assertEquals(0, means[4], 0.1, "strength 1 forgets the guide: mean " + means[4]);
    }
}
