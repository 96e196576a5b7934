package org.diffusion4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;

/** Mask-blend inpainting with every sampler that edits; the others are refused by name. */
class MaskBlendTest {

    static final NoiseSchedule SCHEDULE = NoiseSchedule.linear();

    @Test
    void everyEditingSamplerKeepsTheKnownPixelsExactlyAndFillsTheRest() {
        for (String name : Samplers.names()) {
            Sampler sampler = Samplers.create(name, SCHEDULE, SamplerOptions.ofSteps(20));
            assertEquals(Samplers.edits(name), sampler.edits(), name + ": registry and sampler agree");
            if (!sampler.edits()) {
                continue;
            }
            int n = 256;
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray x0 = m.create(new float[] {0.25f, -0.5f, 0.75f, 0.9f}).reshape(1, 1, 2, 2).repeat(0, n);
                NDArray mask = m.create(new float[] {0f, 1f, 0f, 1f}).reshape(1, 1, 2, 2).repeat(0, n);
                NDArray xT = NoiseSource.seeded(1).normal(m, new Shape(n, 1, 2, 2), 0);
                // data N(0.3, 0.5²) pixel by pixel: the repainted pixels are drawn from it, independent of the known ones
                AnalyticGaussianDenoiser d = new AnalyticGaussianDenoiser(SCHEDULE, 0.3, 0.5, PredictionType.EPSILON);
                float[] out = MaskBlend.inpaint(sampler, d, x0, mask, xT, NoiseSource.seeded(2), SamplingListener.NONE).toFloatArray();
                double sum = 0;
                for (int i = 0; i < n; i++) {
                    assertEquals(0.25f, out[4 * i], 0f, name + ": known pixel");
                    assertEquals(0.75f, out[4 * i + 2], 0f, name + ": known pixel");
                    sum += out[4 * i + 1] + out[4 * i + 3];
                }
                assertEquals(0.3, sum / (2 * n), 0.1, name + ": repainted pixels follow the data");
                assertEquals(sampler.evaluations(), d.calls(), name + ": the evaluations of a full run");
            }
        }
    }

    @Test
    void samplersThatCannotStartFromAnImageAreRefusedNamingTheOnesThatCan() {
        Sampler langevin = Samplers.create("langevin", SCHEDULE, SamplerOptions.ofSteps(10));
        assertFalse(langevin.edits());
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(1, 1, 2, 2));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MaskBlend.inpaint(langevin,
                    new AnalyticGaussianDenoiser(SCHEDULE, 0, 1, PredictionType.EPSILON), x, x, x, NoiseSource.seeded(0),
                    SamplingListener.NONE));
            assertTrue(e.getMessage().contains("--sampler langevin") && e.getMessage().contains("ddim"), e.getMessage());
        }
    }
}
