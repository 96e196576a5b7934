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
        assertFalse(r.err().contains("at org."), "no stack trace");
    }

    @Test
    void aLatentModelsTrajectoryShowsItsStepsDecodedByTheVae() throws Exception {
        Path gif = dir.resolve("t.gif");
        Path each = dir.resolve("each");
        Cli r = Cli.run("sample", "--model", folder().toString(), "--prompt", "a red circle", "-n", "2", "--steps", "3", "--no-progress",
                "--trajectory", gif.toString(), "--frame-ms", "0", "--out-dir", each.toString());
        assertEquals(0, r.exitCode(), r.err());
        try (javax.imageio.stream.ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
            javax.imageio.ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
            reader.setInput(in);
            assertEquals(3, reader.getNumImages(true), "a frame per step");
            BufferedImage last = reader.read(2);
            assertEquals((2 * 16 + 3 * 2) * 2, last.getWidth(), "two 16x16 images (decoded, not the latents) at x2 with padding");
            // the last x0 estimate of DDIM is the sample: the frame shows the final image (up to the GIF's palette)
            BufferedImage first = ImageIO.read(each.resolve("sample_00000.png").toFile());
            double diff = 0;
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    int a = first.getRGB(x, y);
                    int b = last.getRGB(2 * 2 + 2 * x, 2 * 2 + 2 * y);
                    for (int shift = 0; shift <= 16; shift += 8) {
                        diff += Math.abs(((a >> shift) & 0xff) - ((b >> shift) & 0xff));
                    }
                }
            }
            assertTrue(diff / (16 * 16 * 3) < 12, "mean channel difference " + diff / (16 * 16 * 3));
            reader.dispose();
        }
    }

    @Test
    void evalOfATextModelReadsItsImagesWithTheShapesAnalyzer() throws Exception {
        Path json = dir.resolve("eval.json");
        Cli r = Cli.run("eval", "--model", folder().toString(), "-n", "1", "--steps", "2", "--guidance", "1,3", "--no-progress",
                "--binding", "--json", json.toString());
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
        com.google.gson.JsonObject probe = j.getAsJsonObject("binding_probe");
        assertEquals(128, probe.get("images").getAsInt(), probe.toString());
        assertEquals(16, probe.get("draws").getAsInt());
        assertEquals(128, probe.getAsJsonObject("order").get("tests").getAsInt());
        assertTrue(r.out().contains("binding probe (diffusion classifier, 128 real two-object test images, 16 (t, eps) draws each"), r.out());

        Cli tooMany = Cli.run("eval", "--model", folder().toString(), "--binding", "100000");
        assertEquals(2, tooMany.exitCode());
        assertTrue(tooMany.err().contains("--binding takes 1 to 16384 images, got 100000"), tooMany.err());
        Cli notText = Cli.run("eval", "--model", Cli.root().resolve("models/fashion-mnist-ddpm").toString(), "--binding", "-n", "2");
        assertEquals(2, notText.exitCode());
        assertTrue(notText.err().contains("--binding probes a text-to-image model"), notText.err());
    }

    @Test
    void theFoldersOwnGuidanceScaleIsTheDefaultAndABadOneIsAOneLineError() throws Exception {
        Path copy = dir.resolve("sd");
        try (java.util.stream.Stream<Path> files = Files.walk(folder())) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = copy.resolve(folder().relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        Path index = copy.resolve("model_index.json");
        String original = Files.readString(index);
        Files.writeString(index, "{\n  \"_diffusion4j\": {\"guidance_scale\": 4},"+ original.substring(1));
        Path byDefault = dir.resolve("default.npy");
        Path four = dir.resolve("four.npy");
        Cli r = Cli.run("sample", "--model", copy.toString(), "--prompt", "a red circle", "-n", "2", "--steps", "3", "--no-progress",
                "--out-raw", byDefault.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("guidance w = 4.0 (the model's default)"), r.out());
        Cli.run("sample", "--model", copy.toString(), "--prompt", "a red circle", "-n", "2", "--steps", "3", "--guidance", "4",
                "--no-progress", "--out-raw", four.toString());
        assertArrayEquals(Files.readAllBytes(four), Files.readAllBytes(byDefault));
        Cli info = Cli.run("info", copy.toString());
        assertTrue(info.out().contains("guidance       4.0 when none is given (\"_diffusion4j.guidance_scale\" of model_index.json)"),
                info.out());

        Files.writeString(index, "{\n  \"_diffusion4j\": {\"guidance_scale\": -4},"+ original.substring(1));
        r = Cli.run("sample", "--model", copy.toString(), "--prompt", "a red circle", "--no-progress", "--out", dir.resolve("x.png").toString());
        assertTrue(r.exitCode() != 0, r.out());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains(index.toString()) && r.err().contains("\"_diffusion4j.guidance_scale\" must be a finite number >= 0"),
                r.err());
    }
}
