package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code spark-sample} and {@code spark-eval} on local[2] against {@code sample}, on the bundled model with few steps. */
class SparkCommandsTest {

    @TempDir
    Path tmp;

    static final String MODEL = Cli.root().resolve("models/fashion-mnist-ddpm").toString();

    @Test
    void sparkSampleWritesTheSamePngBytesAsSample() throws IOException {
        Path single = tmp.resolve("single");
        Path spark = tmp.resolve("spark");
        Cli a = Cli.run("sample", "--model", MODEL, "-n", "24", "--seed", "7", "--steps", "3", "--batch", "8", "--class", "sneaker,bag",
                "--out-dir", single.toString(), "--no-progress");
        assertEquals(0, a.exitCode(), a.err());
        Cli b = Cli.run("spark-sample", "--master", "local[2]", "--partitions", "2", "--model", MODEL, "-n", "24", "--seed", "7",
                "--steps", "3", "--batch", "8", "--class", "sneaker,bag", "--out-dir", spark.toString());
        assertEquals(0, b.exitCode(), b.err());
        assertTrue(b.out().contains("24 images from " + MODEL), b.out());
        assertTrue(b.out().contains("3 batches of 8 in 2 partitions"), b.out());
        List<String> names = list(single);
        assertEquals(24, names.size());
        assertEquals(names, list(spark));
        for (String f : names) {
            assertArrayEquals(Files.readAllBytes(single.resolve(f)), Files.readAllBytes(spark.resolve(f)), f);
        }
    }

    @Test
    void sparkEvalReportsFdAndClassAccuracy() {
        Cli r = Cli.run("spark-eval", "--master", "local[2]", "--model", MODEL, "-n", "32", "--steps", "2", "--batch", "16");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("FD "), r.out());
        assertTrue(r.out().contains("32 images against the Fashion-MNIST test feature statistics"), r.out());
        assertTrue(r.out().contains("class accuracy "), r.out());
    }

    @Test
    void mistakesAreOneLineErrors() {
        Cli noDir = Cli.run("spark-sample", "--master", "local[1]", "--model", MODEL, "-n", "4");
        assertEquals(2, noDir.exitCode());
        assertEquals(1, noDir.errLines().length, noDir.err());
        assertTrue(noDir.err().startsWith("diffusion4j: error: --out-dir DIR is needed"), noDir.err());
        Cli missing = Cli.run("spark-sample", "--master", "local[1]", "--model", tmp.resolve("nope").toString(), "--out-dir",
                tmp.resolve("o").toString());
        assertEquals(1, missing.exitCode());
        assertEquals(1, missing.errLines().length, missing.err());
        assertTrue(missing.err().contains("nope"), missing.err());
        Cli badClass = Cli.run("spark-sample", "--master", "local[1]", "--model", MODEL, "--class", "spaceship", "--out-dir",
                tmp.resolve("o").toString());
        assertEquals(2, badClass.exitCode());
        assertTrue(badClass.err().startsWith("diffusion4j: error: "), badClass.err());
    }

    static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
