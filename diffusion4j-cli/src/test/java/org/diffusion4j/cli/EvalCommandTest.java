package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code diffusion4j eval}: real images against the anchors, the JSON report, input errors. */
class EvalCommandTest {

    @TempDir
    Path dir;

    private static JsonObject column(JsonObject report, String key) {
        return report.getAsJsonObject("columns").getAsJsonObject(key);
    }

    /**
     * 200 real Fashion-MNIST test images written as PNGs score like real training images (the
     * floor) and nothing like Gaussian noise; the same pixels as a uint8 .npy give identical numbers.
     */
    @Test
    void realTestImagesScoreNearTheFloorAndFarBelowTheNoiseCeiling() throws Exception {
        QualityFixtures.assumeFashionMnistAndClassifier();
        Path pngs = dir.resolve("pngs");
        byte[] pixels = QualityFixtures.writeTestPngs(pngs, 200);
        Path json = dir.resolve("out/report.json");
        Cli r = Cli.run("eval", "--samples", pngs.toString(), "--json", json.toString(), "--no-progress");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("200 images from the folder") && r.out().contains("noise (ceiling)"), r.out());

        JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        double fd = column(report, "samples").get("fd").getAsDouble();
        double floor = column(report, "train").get("fd").getAsDouble();
        double ceiling = column(report, "noise").get("fd").getAsDouble();
        assertTrue(fd < 0.1 * ceiling, "FD of real images " + fd + " vs noise " + ceiling);
        assertTrue(fd < 1.5 * floor, "FD of real test images " + fd + " vs real training images " + floor);
        assertTrue(column(report, "samples").get("recall").getAsDouble() > 0.5, report.toString());
        assertEquals(0.0, column(report, "noise").get("recall").getAsDouble(), report.toString());
        assertTrue(column(report, "samples").get("is_mean").getAsDouble() > 2 * column(report, "noise").get("is_mean").getAsDouble());

        Path npy = dir.resolve("test.npy");
        QualityFixtures.writeUint8Npy(npy, pixels, 200);
        Path json2 = dir.resolve("npy.json");
        Cli r2 = Cli.run("eval", "--samples", npy.toString(), "--metrics", "fd", "--json", json2.toString(), "--no-progress");
        assertEquals(0, r2.exitCode(), r2.err());
        JsonObject report2 = JsonParser.parseString(Files.readString(json2)).getAsJsonObject();
        assertEquals(fd, column(report2, "samples").get("fd").getAsDouble(), 1e-9, "the .npy holds the PNGs' pixels");
        assertEquals(floor, column(report2, "train").get("fd").getAsDouble(), 1e-9, "anchors do not depend on the scored set");
    }

    /** Sampling a tiny random model with every metric: the JSON holds every field of every column. */
    @Test
    void jsonHasEveryField() throws Exception {
        QualityFixtures.assumeFashionMnistAndClassifier();
        Path model = QualityFixtures.tinyModel(dir, "tiny", 10);
        Path json = dir.resolve("eval.json");
        Cli r = Cli.run("eval", "--model", model.toString(), "--sampler", "ddim", "--steps", "2", "-n", "12",
                "--metrics", "fd,is,pr,nll", "--nll-images", "3", "--nll-timesteps", "4", "--batch", "8",
                "--json", json.toString(), "--no-progress");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("4 of the 9 KL terms") && r.out().contains("5 network calls per image"), r.out());
        JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(List.of("fd", "is", "pr", "nll"),
                report.getAsJsonArray("metrics").asList().stream().map(e -> e.getAsString()).toList());
        for (String key : List.of("samples", "train", "noise")) {
            JsonObject c = column(report, key);
            for (String field : List.of("title", "description", "images", "fd", "is_mean", "is_std", "precision", "recall",
                    "nll_bits_per_dim", "nll_standard_error", "nll_images")) {
                assertTrue(c.has(field) && !c.get(field).isJsonNull(), key + "." + field + " in " + c);
            }
            assertEquals(12, c.get("images").getAsInt());
            assertEquals(3, c.get("nll_images").getAsInt());
            assertTrue(c.get("nll_bits_per_dim").getAsDouble() > 0, c.toString());
        }
        JsonObject s = report.getAsJsonObject("settings");
        for (String field : List.of("source", "model", "sampler", "steps", "evaluations_per_image", "seed", "images",
                "classifier", "reference", "is_splits", "pr_k", "pr_real_images", "nll_images", "nll_kl_terms",
                "nll_network_calls_per_image", "nll_variance", "nll_decoder")) {
            assertTrue(s.has(field), field + " in " + s);
        }
        assertEquals(2, s.get("evaluations_per_image").getAsInt());
        assertEquals(5, s.get("nll_network_calls_per_image").getAsInt());
        for (String part : List.of("sampling", "features", "nll", "total")) {
            assertTrue(report.getAsJsonObject("seconds").get(part).getAsDouble() >= 0, part);
        }
    }

    /** A float .npy in [-1, 1] (as 'sample --out-raw' writes) scores as its 8-bit pixels; pixel-valued floats are refused. */
    @Test
    void floatNpyIsReadAsModelRangeValues() throws Exception {
        QualityFixtures.assumeFashionMnistAndClassifier();
        byte[] pixels = QualityFixtures.writeTestPngs(dir.resolve("unused"), 40);
        float[] modelRange = new float[40 * 784];
        float[] raw = new float[40 * 784];
        for (int i = 0; i < modelRange.length; i++) {
            modelRange[i] = (pixels[i] & 0xff) / 127.5f - 1f;
            raw[i] = pixels[i] & 0xff;
        }
        Path u8 = dir.resolve("u8.npy");
        Path f32 = dir.resolve("f32.npy");
        Path bad = dir.resolve("pixels.npy");
        QualityFixtures.writeUint8Npy(u8, pixels, 40);
        org.diffusion4j.io.Npy.write(f32, modelRange, 40, 1, 28, 28);
        org.diffusion4j.io.Npy.write(bad, raw, 40, 28, 28);
        double[] fd = new double[2];
        Path[] files = {u8, f32};
        for (int k = 0; k < 2; k++) {
            Path json = dir.resolve("r" + k + ".json");
            Cli r = Cli.run("eval", "--samples", files[k].toString(), "--metrics", "fd", "--json", json.toString(), "--no-progress");
            assertEquals(0, r.exitCode(), r.err());
            fd[k] = column(JsonParser.parseString(Files.readString(json)).getAsJsonObject(), "samples").get("fd").getAsDouble();
        }
        assertEquals(fd[0], fd[1], 1e-9);
        Cli r = Cli.run("eval", "--samples", bad.toString(), "--metrics", "fd", "--no-progress");
        assertEquals(1, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains(bad.toString()) && r.err().contains("np.uint8"), r.err());
    }

    @Test
    void badMetricsValueIsAOneLineError() {
        Cli r = Cli.run("eval", "--samples", dir.toString(), "--metrics", "fd,fid");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("unknown metric 'fid'") && r.err().contains("fd, is, pr, nll"), r.err());
    }

    @Test
    void wrongImageSizeNamesTheFolder() throws Exception {
        QualityFixtures.assumeFashionMnistAndClassifier();
        Path folder = Files.createDirectories(dir.resolve("big"));
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(32, 32, java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png",
                folder.resolve("a.png").toFile());
        Cli r = Cli.run("eval", "--samples", folder.toString(), "--no-progress");
        assertEquals(1, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains(folder.toString()) && r.err().contains("32x32") && r.err().contains("28x28"), r.err());
    }
}
