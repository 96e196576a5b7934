package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code diffusion4j train-classifier}: a few steps write a classifier folder that eval accepts; bad values are one-line errors. */
class TrainClassifierCommandTest {

    @TempDir
    Path dir;

    /** Loads all of Fashion-MNIST and recomputes test statistics: ≈11 s, so in the {@code long} group. */
    @Test
    @Tag("long")
    void threeStepsWriteAFolderThatEvalUses() throws Exception {
        QualityFixtures.assumeFashionMnistAndClassifier();
        Path out = dir.resolve("clf");
        Cli r = Cli.run("train-classifier", "--max-steps", "3", "--epochs", "1", "--channels", "4,8", "--hidden", "16",
                "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        for (String f : new String[] {"model.safetensors", "config.json", "training.json", "fmnist_test_stats.safetensors"}) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"hidden\": 16"));

        Path pngs = dir.resolve("pngs");
        QualityFixtures.writeTestPngs(pngs, 20);
        Cli e = Cli.run("eval", "--samples", pngs.toString(), "--classifier", out.toString(), "--metrics", "fd", "--no-progress");
        assertEquals(0, e.exitCode(), e.err());
        assertTrue(e.out().contains("(16-D)"), e.out());
    }

    @Test
    void badValuesAreOneLineErrors() {
        Cli r = Cli.run("train-classifier", "--dropout", "1.5", "--out", dir.toString());
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("--dropout must be in [0, 1)"), r.err());
        Cli c = Cli.run("train-classifier", "--channels", "16", "--out", dir.toString());
        assertEquals(2, c.exitCode());
        assertTrue(c.err().contains("--channels takes two positive widths"), c.err());
    }
}
