package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.diffusion4j.io.Npy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sample --prompt} on the StableDiffusionPipeline folder made by diffusers (tiny, random weights, a VAE):
 * a row per prompt, the guided loop through the front door, and clear refusals.
 */
class TextSampleCommandTest {

    static Path folder() {
        return Cli.root().resolve("diffusion4j-core/src/test/resources/fixtures/diffusers-t2i");
    }

    @TempDir
    Path dir;

    @Test
    void aRowOfImagesPerPromptDecodedByTheVae() throws Exception {
        Path png = dir.resolve("grid.png");
        Path raw = dir.resolve("raw.npy");
        Cli r = Cli.run("sample", "--model", folder().toString(), "--prompt", "a red circle", "--prompt", "a blue square",
                "-n", "3", "--steps", "4", "--guidance", "3", "--no-progress", "--out", png.toString(), "--out-raw", raw.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertArrayEquals(new long[] {6, 3, 16, 16}, Npy.read(raw).shape(), "3 images per prompt, decoded to 3x16x16");
        BufferedImage grid = ImageIO.read(png.toFile());
        assertEquals(2 * 16 * 2 + 3 * 2 * 2, grid.getHeight(), "two rows (x2 scale)");
        assertTrue(r.out().contains("prompts: [a red circle, a blue square]") && r.out().contains("guidance w = 3.0"), r.out());
        // the same command again: the same bytes
        Path again = dir.resolve("again.npy");
        Cli.run("sample", "--model", folder().toString(), "--prompt", "a red circle", "--prompt", "a blue square",
                "-n", "3", "--steps", "4", "--guidance", "3", "--no-progress", "--out-raw", again.toString());
        assertArrayEquals(Files.readAllBytes(raw), Files.readAllBytes(again));
    }

    @Test
    void aTooLongPromptIsCutWithAWarningAndWrongOptionsAreRefused() {
        Cli r = Cli.run("sample", "--model", folder().toString(), "--prompt", "red ".repeat(30), "-n", "1", "--steps", "2",
                "--no-progress", "--out", dir.resolve("x.png").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.err().contains("warning: the prompt") && r.err().contains("is cut"), r.err());
        r = Cli.run("sample", "--model", folder().toString(), "--out", dir.resolve("y.png").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("give --prompt"), r.err());
        r = Cli.run("sample", "--model", folder().toString(), "--prompt", "a", "--class", "3", "--out", dir.resolve("z.png").toString());
        assertTrue(r.exitCode() != 0 && r.err().contains("--class: the model is text-conditional"), r.err());
        r = Cli.run("sample", "--model", folder().toString(), "--prompt", "a", "--trajectory", dir.resolve("t.gif").toString());
        assertTrue(r.exitCode() != 0 && r.err().contains("--trajectory"), r.err());
        assertFalse(r.err().contains("at org."), "no stack trace");
    }

    @Test
    void evalOfATextModelReadsItsImagesWithTheShapesAnalyzer() throws Exception {
        Path json = dir.resolve("eval.json");
        Cli r = Cli.run("eval", "--model", folder().toString(), "-n", "1", "--steps", "2", "--guidance", "1,3", "--no-progress",
                "--json", json.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("| 1.0 |") && r.out().contains("| 3.0 |") && r.out().contains("ceiling") && r.out().contains("84 images"),
                r.out());
        assertTrue(r.out().contains("| two objects: the parts | two objects: bound | two objects (binding + relation) |"), r.out());
        com.google.gson.JsonObject j = com.google.gson.JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        com.google.gson.JsonObject ceiling = j.getAsJsonObject("real_test_images");
        assertEquals(2, j.getAsJsonArray("model").size(), "a row per guidance scale");
        double parts = ceiling.get("two_objects_parts").getAsDouble();
        double bound = ceiling.get("two_objects_bound").getAsDouble();
        double right = ceiling.get("two_objects").getAsDouble();
        assertTrue(parts >= bound && bound >= right && right >= 0.95 && ceiling.get("one_object").getAsDouble() >= 0.97, ceiling.toString());
    }
}
