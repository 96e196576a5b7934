package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.diffusion4j.data.Datasets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval} on a tiny random class-conditional 28×28 model with the Fashion-MNIST classes and a null class. */
class ConditionalEvalCommandTest {

    @TempDir
    Path dir;

    private Path model() throws Exception {
        return QualityFixtures.tinyConditionalModel(dir, "cond", 28, Datasets.FASHION_MNIST_CLASSES, 11, 10);
    }

    private static JsonObject read(Path file) throws Exception {
        return JsonParser.parseString(Files.readString(file)).getAsJsonObject();
    }

    /**
     * --guidance 0,1,2 writes the table, JSON and chart with a point per scale, and the w = 1 point is what a
     * plain eval with --guidance 1 measures for the same images (same FD, same class accuracy).
     */
    @Test
    void guidanceSweepWritesReportAndAgreesWithASingleEval() throws Exception {
        QualityFixtures.assumeFashionMnistAndClassifier();
        Path model = model();
        Path out = dir.resolve("guidance");
        Path json = dir.resolve("sweep.json");
        Cli r = Cli.run("eval", "--model", model.toString(), "--guidance", "0,1,2", "-n", "20", "--steps", "1",
                "--metrics", "fd", "--out", out.toString(), "--json", json.toString(), "--no-progress");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("guidance sweep w = [0, 1, 2]") && r.out().contains("[3/3] w = 2")
                && r.out().contains("each on [x; x] with [c; null]") && r.out().contains("Lowest FD"), r.out());

        JsonObject sweep = read(out.resolve("guidance.json"));
        assertEquals(sweep, read(json), "--json holds the same report");
        JsonArray points = sweep.getAsJsonArray("points");
        assertEquals(3, points.size());
        for (int i = 0; i < 3; i++) {
            JsonObject p = points.get(i).getAsJsonObject();
            assertEquals(i, p.get("guidance_scale").getAsDouble());
            assertEquals(20, p.get("images").getAsInt());
            double a = p.get("class_accuracy").getAsDouble();
            assertTrue(a >= 0 && a <= 1, p.toString());
            assertEquals(10, p.getAsJsonArray("per_class_accuracy").size());
            assertTrue(p.get("fd").getAsDouble() > 0, p.toString());
        }
        JsonObject real = sweep.getAsJsonObject("real");
        assertTrue(real.get("class_accuracy").getAsDouble() >= 0.75, "the classifier on 20 real test images: " + real);
        assertTrue(real.get("fd").getAsDouble() < points.get(1).getAsJsonObject().get("fd").getAsDouble(),
                "real training images beat a random model: " + sweep);
        String md = Files.readString(out.resolve("guidance.md"));
        assertTrue(md.contains("| 0 | ") && md.contains("| 1 | ") && md.contains("| 2 | ") && md.contains("| real images |"), md);
        BufferedImage png = ImageIO.read(out.resolve("guidance.png").toFile());
        assertEquals(900, png.getWidth());

        Path single = dir.resolve("single.json");
        Cli s = Cli.run("eval", "--model", model.toString(), "--guidance", "1", "-n", "20", "--steps", "1",
                "--metrics", "fd", "--json", single.toString(), "--no-progress");
        assertEquals(0, s.exitCode(), s.err());
        assertTrue(s.out().contains("classes all 10 in turn, guidance 1") && s.out().contains("class accuracy"), s.out());
        JsonObject report = read(single);
        JsonObject w1 = points.get(1).getAsJsonObject();
        assertEquals(w1.get("fd").getAsDouble(), report.getAsJsonObject("columns").getAsJsonObject("samples").get("fd").getAsDouble(),
                1e-9, "same images, same FD");
        JsonObject acc = report.getAsJsonObject("class_accuracy");
        assertEquals(w1.get("class_accuracy").getAsDouble(), acc.getAsJsonObject("samples").get("class_accuracy").getAsDouble(), 1e-12);
        assertEquals(real.get("class_accuracy").getAsDouble(),
                acc.getAsJsonObject("real_test_images").get("class_accuracy").getAsDouble(), 1e-12);
        assertEquals(1.0, report.getAsJsonObject("settings").get("guidance_scale").getAsDouble());
    }

    @Test
    void badSweepsAreOneLineErrors() throws Exception {
        QualityFixtures.assumeFashionMnistAndClassifier();
        Path model = model();
        for (List<String> args : List.of(
                List.of("--guidance", "0,1", "--metrics", "fd,nll"),
                List.of("--out", dir.resolve("x").toString()),
                List.of("--guidance", "0,-2"),
                List.of("--samples", dir.toString(), "--guidance", "2"))) {
            String[] all = new String[args.size() + 4];
            all[0] = "eval";
            all[1] = "--model";
            all[2] = model.toString();
            all[3] = "--no-progress";
            for (int i = 0; i < args.size(); i++) {
                all[4 + i] = args.get(i);
            }
            Cli r = Cli.run(all);
            assertEquals(2, r.exitCode(), args + ": " + r.out() + r.err());
            assertEquals(1, r.errLines().length, args + ": " + r.err());
        }
        Cli r = Cli.run("eval", "--model", model.toString(), "--guidance", "0,1", "--metrics", "nll", "--no-progress");
        assertTrue(r.err().contains("does not depend on the guidance scale"), r.err());

        Path uncond = QualityFixtures.tinyModel(dir, "uncond", 10);
        r = Cli.run("bench-samplers", "--model", uncond.toString(), "--guidance", "2", "--dry-run", "--no-progress");
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("unconditional"), r.err());
        r = Cli.run("bench-samplers", "--model", model.toString(), "--class", "nonesuch", "--dry-run", "--no-progress");
        assertEquals(2, r.exitCode(), r.out() + r.err());
        assertTrue(r.err().contains("'nonesuch'") && r.err().contains("9 Ankle boot"), r.err());
    }
}
