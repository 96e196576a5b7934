package org.diffusion4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The diffusion classifier's choice between a two-object caption and its swapped forms. */
class BindingProbeTest {

    static final Path FIXTURE = Path.of("src/test/resources/fixtures/diffusers-t2i");

    @Test
    void theLowerScoreWinsAndRoundingIsATie() {
        assertEquals(1.0, BindingProbe.choice(1.0, 1.1));
        assertEquals(0.0, BindingProbe.choice(1.1, 1.0));
        assertEquals(0.5, BindingProbe.choice(2.0, 2.0));
        assertEquals(0.5, BindingProbe.choice(2.0, 2.0 * (1 + 5e-6)), "within float rounding of the score");
        assertEquals(1.0, BindingProbe.choice(2.0, 2.0 * (1 + 5e-5)));
        BindingProbe.Choices c = BindingProbe.Choices.NONE.plus(1).plus(0.5).plus(0);
        assertEquals(new BindingProbe.Choices(3, 1.5, 1), c);
        assertEquals(0.5, c.accuracy());
    }

    @Test
    void countsFollowTheTestCaptionsAndTheResultIsReproducible() throws IOException {
        try (DiffusionPipeline pipe = DiffusionPipeline.load(FIXTURE)) {
            BindingProbe.Result r = BindingProbe.measure(pipe, 20, 2, 7);
            // the captions the probe reads: the first 20 two-object captions of the test split made from seed 7
            ShapesDataset d = ShapesDataset.generate((int) pipe.imageShape()[1], Split.TEST, 7, 160);
            int found = 0;
            int distinctColours = 0;
            for (int i = 0; i < d.size() && found < 20; i++) {
                String c = d.caption(i);
                if (Shapes.swappedOrder(c) != null) {
                    found++;
                    distinctColours += c.equals(Shapes.swappedColours(c)) ? 0 : 1;
                }
            }
            assertEquals(20, r.images());
            assertEquals(20, r.order().tests());
            assertEquals(distinctColours, r.colours().tests(), "a caption with one colour twice has no colour swap");
            assertTrue(r.colours().right() >= 0 && r.colours().right() <= r.colours().tests() && r.order().right() <= r.order().tests(),
                    r.toString());
            assertEquals(r, BindingProbe.measure(pipe, 20, 2, 7), "the same draws give the same choices");
        }
    }

    @Test
    void aModelWithoutTextIsRefused(@TempDir Path dir) throws IOException {
        Path uncond = DiffusionPipelineTest.tinyModel(dir.resolve("u"), null, java.util.List.of());
        try (DiffusionPipeline pipe = DiffusionPipeline.load(uncond)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BindingProbe.measure(pipe, 4, 2, 0));
            assertTrue(e.getMessage().startsWith("--binding: the model is not text-conditional"), e.getMessage());
        }
    }
}
