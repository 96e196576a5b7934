package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code diffusion4j bench-samplers} on a tiny random 28x28 model (T = 10): outputs, resuming, the time budget. */
class BenchSamplersCommandTest {

    @TempDir
    Path dir;

    /**
     * 2 samplers × 2 step counts plus the 10-step DDPM reference on 8 images: the table, CSV, JSON
     * and PNG are written, the FD of a cell is what {@code eval} measures for the same images, and
     * a second run resumes without re-running anything.
     */
    @Test
    void tinySweepWritesTableCsvAndChartAndResumes() throws Exception {
        QualityFixtures.assumeFashionMnistAndClassifier();
        Path model = QualityFixtures.tinyModel(dir, "tiny", 10);
        Path out = dir.resolve("bench");
        String[] args = {"bench-samplers", "--model", model.toString(), "-n", "8", "--seed", "3", "--samplers", "ddim,heun",
            "--steps", "2,3", "--out", out.toString(), "--no-progress"};
        Cli r = Cli.run(args);
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("5 cells (0 done)") && r.out().contains("Verdict:"), r.out());

        String md = Files.readString(out.resolve("samplers.md"));
        for (String row : List.of("| ddim | 2 | 2 |", "| ddim | 3 | 3 |", "| heun | 2 | 3 |", "| heun | 3 | 5 |", "| ddpm (reference) | 10 | 10 |")) {
            assertTrue(md.contains(row), row + " in\n" + md);
        }
        assertTrue(md.contains("Verdict: within 10% of the 10-step DDPM FD"), md);

        List<String> csv = Files.readAllLines(out.resolve("samplers.csv"));
        assertEquals(6, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(0).startsWith("sampler,steps,evaluations,images,seed,fd,"), csv.get(0));
        String ddim2 = csv.stream().filter(l -> l.startsWith("ddim,2,")).findFirst().orElseThrow();
        double fd = Double.parseDouble(ddim2.split(",")[5]);
        assertTrue(ddim2.startsWith("ddim,2,2,8,3,"), ddim2);
        assertTrue(csv.stream().anyMatch(l -> l.startsWith("ddpm,10,10,8,3,") && l.split(",")[6].equals("1.000000")), csv.toString());

        BufferedImage png = ImageIO.read(out.resolve("samplers.png").toFile());
        assertEquals(900, png.getWidth());
        assertEquals(600, png.getHeight());

        // the same images scored by eval give the same FD
        Path json = dir.resolve("eval.json");
        Cli e = Cli.run("eval", "--model", model.toString(), "--sampler", "ddim", "--steps", "2", "-n", "8", "--seed", "3",
                "--metrics", "fd", "--json", json.toString(), "--no-progress");
        assertEquals(0, e.exitCode(), e.err());
        JsonObject report = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(fd, report.getAsJsonObject("columns").getAsJsonObject("samples").get("fd").getAsDouble(), 1e-4 * fd);

        // resume: nothing left to run, nothing changed
        String before = Files.readString(out.resolve("samplers.json"));
        Cli again = Cli.run(args);
        assertEquals(0, again.exitCode(), again.err());
        assertTrue(again.out().contains("5 cells (5 done)") && !again.out().contains("[1/"), again.out());
        assertEquals(before, Files.readString(out.resolve("samplers.json")));

        // other settings in the same folder are refused, naming --fresh
        String[] other = args.clone();
        other[4] = "9";
        Cli refused = Cli.run(other);
        assertEquals(2, refused.exitCode());
        assertEquals(1, refused.errLines().length, refused.err());
        assertTrue(refused.err().contains("--fresh") && refused.err().contains("n=8"), refused.err());
    }

    /** A budget shorter than one cell runs the cheapest cell only and records the rest as pending. */
    @Test
    void timeBudgetLeavesTheExpensiveCellsPending() throws Exception {
        QualityFixtures.assumeFashionMnistAndClassifier();
        Path model = QualityFixtures.tinyModel(dir, "tiny", 10);
        Path out = dir.resolve("bench");
        Cli r = Cli.run("bench-samplers", "--model", model.toString(), "-n", "4", "--samplers", "ddim", "--steps", "1,2",
                "--max-minutes", "0.0001", "--out", out.toString(), "--no-progress");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("2 cells pending"), r.out());
        JsonObject state = JsonParser.parseString(Files.readString(out.resolve("samplers.json"))).getAsJsonObject();
        assertEquals(1, state.getAsJsonArray("results").size());
        assertEquals(1, state.getAsJsonArray("results").get(0).getAsJsonObject().get("steps").getAsInt(), "cheapest first");
        assertEquals(2, state.getAsJsonArray("pending").size());
        String md = Files.readString(out.resolve("samplers.md"));
        assertTrue(md.contains("pending: ddim 2 steps, ddpm 10 steps"), md);
        assertTrue(md.contains("Verdict: pending"), md);
    }

    @Test
    void unknownSamplerAndBadStepsAreOneLineErrors() {
        Cli r = Cli.run("bench-samplers", "--samplers", "ddim,fast", "--dry-run");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("unknown sampler \"fast\""), r.err());
        Cli s = Cli.run("bench-samplers", "--steps", "5,0", "--dry-run");
        assertEquals(2, s.exitCode());
        assertTrue(s.err().contains("--steps takes comma-separated positive integers"), s.err());
        assertFalse(s.err().contains("Exception"), s.err());
    }
}
