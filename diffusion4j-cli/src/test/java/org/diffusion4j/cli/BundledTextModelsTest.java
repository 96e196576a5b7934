package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.eval.ShapesAnalyzer;
import org.diffusion4j.io.Npy;
import org.diffusion4j.pipeline.BindingProbe;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.Evaluation;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The bundled text-to-image models as a user meets them on a clean clone: {@code sample --model models/NAME --prompt …}
 * runs offline and draws what was asked. The shapes analyzer (the one {@code eval} uses) must find a red object on a
 * black background in most of four images of "a red square" — which fails for random or mis-scaled weights (a latent
 * model whose {@code scaling_factor} or auto-encoder is wrong decodes noise, not shapes on black).
 */
class BundledTextModelsTest {

    @TempDir
    Path dir;

    /**
     * The bundle's word order and colour binding, read from its likelihood: the diffusion classifier prefers each real
     * two-object test caption to the same words with the colours or the objects swapped (128 of 128 each with {@code eval
     * --binding}; here 16 images, 4 draws). A model that reads the caption as a bag of words scores 0.5.
     */
    @org.junit.jupiter.api.Test
    void theBundledTextModelPrefersTheRightBindingByItsLikelihood() throws Exception {
        Path model = Cli.root().resolve("models/shapes-t2i");
        assumeTrue(Files.isRegularFile(model.resolve("model_index.json")), "bundled model " + model + " not present");
        try (DiffusionPipeline pipe = DiffusionPipeline.load(model)) {
            BindingProbe.Result r = BindingProbe.measure(pipe, 16, 4, Evaluation.ANCHOR_SEED);
            assertTrue(r.colours().accuracy() >= 0.9 && r.order().accuracy() >= 0.9, r.toString());
        }
    }

    @ParameterizedTest(name = "models/{0}")
    @CsvSource({"shapes-t2i, 4.0", "shapes-ldm, 2.0"})
    void carryTheGuidanceScaleTheirModelCardsMeasured(String name, String w) throws Exception {
        Path model = Cli.root().resolve("models").resolve(name);
        assumeTrue(Files.isRegularFile(model.resolve("model_index.json")), "bundled model " + model + " not present");
        Cli info = Cli.run("info", model.toString());
        assertEquals(0, info.exitCode(), info.err());
        assertTrue(info.out().contains("guidance       " + w + " when none is given"), info.out());
        String card = Files.readString(model.resolve("MODEL_CARD.md"));
        assertTrue(card.contains("\"_diffusion4j\": {\"guidance_scale\": " + w + "}"), "the card states the default");
    }

    @ParameterizedTest(name = "models/{0}")
    @CsvSource({"shapes-t2i, 32", "shapes-ldm, 64"})
    void samplesShowTheAskedColourOnBlack(String name, int size) throws Exception {
        Path model = Cli.root().resolve("models").resolve(name);
        assumeTrue(Files.isRegularFile(model.resolve("model_index.json")), "bundled model " + model + " not present");
        Path raw = dir.resolve("raw.npy");
        Cli r = Cli.run("sample", "--model", model.toString(), "--prompt", "a red square", "-n", "4", "--steps", "25", "--guidance", "2",
                "--no-progress", "--out", dir.resolve("grid.png").toString(), "--out-raw", raw.toString());
        assertEquals(0, r.exitCode(), r.err());
        Npy images = Npy.read(raw);
        assertArrayEquals(new long[] {4, 3, size, size}, images.shape());
        byte[] planes = toBytes(images.floats());
        int imageBytes = 3 * size * size;
        List<String> found = new ArrayList<>();
        int red = 0;
        for (int i = 0; i < 4; i++) {
            List<ShapesAnalyzer.Detected> objects = ShapesAnalyzer.analyze(planes, i * imageBytes, size);
            found.add(objects.toString());
            if (objects.stream().anyMatch(d -> d.colour() == Shapes.Colour.RED)) {
                red++;
            }
            int lit = 0;
            for (int p = 0; p < size * size; p++) {
                int max = 0;
                for (int c = 0; c < 3; c++) {
                    max = Math.max(max, planes[i * imageBytes + c * size * size + p] & 0xff);
                }
                lit += max >= 48 ? 1 : 0;
            }
            assertTrue(lit < size * size / 2, "image " + i + ": a black background (" + lit + " of " + size * size + " pixels lit)");
        }
        assertTrue(red >= 3, "a red object in at least 3 of 4 images: " + found);
    }

    /** [-1, 1] floats to uint8 as the PNG writer rounds them. */
    private static byte[] toBytes(float[] x) {
        byte[] b = new byte[x.length];
        for (int i = 0; i < x.length; i++) {
            b[i] = (byte) Math.round(Math.max(0, Math.min(255, (x[i] + 1) * 127.5)));
        }
        return b;
    }
}
