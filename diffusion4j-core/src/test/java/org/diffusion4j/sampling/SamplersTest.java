package org.diffusion4j.sampling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.diffusion4j.schedule.TimestepSpacing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(IntraOpThreads.class)
class SamplersTest {

    @Test
    void registryCreatesByNameAndRefusesUnknownNames() {
        NoiseSchedule s = NoiseSchedule.linear();
        SamplerOptions o = SamplerOptions.ofSteps(25);
        assertTrue(Samplers.names().containsAll(java.util.List.of("ddpm", "ddim")));
        Sampler ddpm = Samplers.create("DDPM ", s, o);
        assertInstanceOf(Ddpm.class, ddpm);
        assertEquals(25, ddpm.evaluations());
        assertEquals("ddim", Samplers.create("ddim", s, o).name());
        for (String name : Samplers.names()) {
            assertEquals(name, Samplers.create(name, s, o).name(), "a sampler reports the name it is registered under");
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Samplers.create("plms", s, o));
        assertTrue(e.getMessage().contains("plms") && e.getMessage().contains("ddim"), e.getMessage());
    }

    @Test
    void optionsHaveDocumentedDefaultsAndValidate() {
        SamplerOptions d = SamplerOptions.defaults();
        assertEquals(50, d.steps());
        assertEquals(TimestepSpacing.LEADING, d.spacing());
        assertEquals(0, d.eta());
        assertEquals(VarianceType.FIXED_SMALL, d.varianceType());
        assertEquals(7, d.rho());
        assertEquals(2, d.solverOrder());
        assertTrue(d.setAlphaToOne() && d.lowerOrderFinal() && d.finalSigmaZero());
        SamplerOptions changed = d.toBuilder().eta(0.3).karrasSigmas(true).build();
        assertEquals(0.3, changed.eta());
        assertTrue(changed.karrasSigmas());
        assertEquals(d, changed.toBuilder().eta(0).karrasSigmas(false).build(), "toBuilder copies every field");
        assertThrows(IllegalArgumentException.class, () -> SamplerOptions.ofSteps(0));
        assertThrows(IllegalArgumentException.class, () -> SamplerOptions.builder().solverOrder(4).build());
        assertThrows(IllegalArgumentException.class, () -> SamplerOptions.builder().clipSampleRange(0).build());
        assertThrows(NullPointerException.class, () -> SamplerOptions.builder().spacing(null).build());
    }

    @Test
    void storedNoiseReplaysSlicesAndRefusesMisuse() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray draws = m.arange(24f).reshape(3, 2, 4);
            StoredNoise noise = StoredNoise.of(draws);
            assertEquals(3, noise.count());
            assertEquals(new Shape(2, 4), noise.drawShape());
            try (NDManager other = NDManager.newBaseManager()) {
                NDArray d1 = noise.normal(other, new Shape(2, 4), 1);
                assertEquals(other, d1.getManager());
                assertTrue(draws.get(1).contentEquals(d1), "draw 1 is slice 1");
                assertEquals(8f, d1.getFloat(0, 0));
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> noise.normal(m, new Shape(8), 0));
            assertTrue(e.getMessage().contains("(2, 4)"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> noise.normal(m, new Shape(2, 4), 3));
            assertTrue(e.getMessage().contains("only 3 draws"), e.getMessage());
        }
    }
}
