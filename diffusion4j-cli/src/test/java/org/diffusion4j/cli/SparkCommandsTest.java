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

    static final String TEXT = TextSampleCommandTest.folder().toString();

    static void assertSameFiles(Path expected, Path actual) throws IOException {
        List<String> names = list(expected);
        assertEquals(names, list(actual));
        for (String f : names) {
            assertArrayEquals(Files.readAllBytes(expected.resolve(f)), Files.readAllBytes(actual.resolve(f)), f);
        }
    }

    @Test
    void aRequestsFileOfPromptsIsSampleWithThePromptsFileAndParquetHoldsTheSameBytes() throws IOException {
        String[] prompts = {"a red circle", "a small blue square", "a green triangle", "a big yellow circle", "a magenta square"};
        Path promptsFile = Files.writeString(tmp.resolve("prompts.txt"), String.join("\n", prompts) + "\n");
        StringBuilder jsonl = new StringBuilder();
        for (int i = prompts.length - 1; i >= 0; i--) {
            jsonl.append("{\"index\": ").append(i).append(", \"prompt\": \"").append(prompts[i]).append("\"}\n");
        }
        Path requests = Files.writeString(tmp.resolve("requests.jsonl"), jsonl);
        Path single = tmp.resolve("single");
        Cli a = Cli.run("sample", "--model", TEXT, "--prompts", promptsFile.toString(), "-n", "1", "--seed", "3", "--steps", "2",
                "--batch", "2", "--out-dir", single.toString(), "--no-progress");
        assertEquals(0, a.exitCode(), a.err());
        Path spark = tmp.resolve("spark");
        Cli b = Cli.run("spark-sample", "--master", "local[2]", "--model", TEXT, "--requests", requests.toString(), "--seed", "3",
                "--steps", "2", "--batch", "2", "--out-dir", spark.toString());
        assertEquals(0, b.exitCode(), b.err());
        assertTrue(b.out().contains("5 images from " + TEXT) && b.out().contains("3 batches of 2"), b.out());
        assertSameFiles(single, spark);
        // --prompts on the command line: the same images
        Path spark2 = tmp.resolve("spark2");
        Cli c = Cli.run("spark-sample", "--master", "local[2]", "--model", TEXT, "--prompts", promptsFile.toString(), "-n", "1",
                "--seed", "3", "--steps", "2", "--batch", "2", "--out-dir", spark2.toString());
        assertEquals(0, c.exitCode(), c.err());
        assertSameFiles(single, spark2);
        Path parquet = tmp.resolve("images.parquet");
        Cli d = Cli.run("spark-sample", "--master", "local[2]", "--model", TEXT, "--requests", requests.toString(), "--seed", "3",
                "--steps", "2", "--batch", "2", "--format", "parquet", "--out-dir", parquet.toString());
        assertEquals(0, d.exitCode(), d.err());
        assertTrue(d.out().contains("wrote the Parquet dataset " + parquet + ": 5 rows"), d.out());
        try (org.apache.spark.sql.SparkSession s = org.apache.spark.sql.SparkSession.builder().master("local[1]")
                .config("spark.ui.enabled", "false").getOrCreate()) {
            List<org.apache.spark.sql.Row> rows = s.read().parquet(parquet.toString()).orderBy("index").collectAsList();
            assertEquals(5, rows.size());
            for (org.apache.spark.sql.Row row : rows) {
                int i = row.getInt(row.fieldIndex("index"));
                assertEquals(prompts[i], row.getString(row.fieldIndex("prompt")));
                assertEquals(7.5, row.getDouble(row.fieldIndex("guidance")));
                assertArrayEquals(Files.readAllBytes(single.resolve(String.format("sample_%05d.png", i))), (byte[]) row.get(row.fieldIndex("png")));
            }
        }
        Cli again = Cli.run("spark-sample", "--master", "local[1]", "--model", TEXT, "--requests", requests.toString(), "--format",
                "parquet", "--out-dir", parquet.toString());
        assertEquals(2, again.exitCode());
        assertTrue(again.err().contains("exists; --format parquet writes a new dataset folder"), again.err());
    }

    @Test
    void sparkEvalOfATextModelReportsTheShapesScoresOfEval() {
        Cli single = Cli.run("eval", "--model", TEXT, "-n", "1", "--steps", "2", "--seed", "2", "--batch", "16", "--no-progress");
        assertEquals(0, single.exitCode(), single.err());
        Cli spark = Cli.run("spark-eval", "--master", "local[2]", "--partitions", "3", "--model", TEXT, "-n", "1", "--steps", "2",
                "--seed", "2", "--batch", "16");
        assertEquals(0, spark.exitCode(), spark.err());
        assertTrue(spark.out().contains("84 images from " + TEXT) && spark.out().contains("counts merged from 3 partitions"), spark.out());
        // eval's model row, "| 7.5 (the model's default) | a | b | c | d |", is spark-eval's row
        String row = single.out().lines().filter(l -> l.startsWith("| 7.5 (the model's default)")).findFirst().orElseThrow();
        assertTrue(spark.out().contains(row), "eval: " + row + "\nspark-eval: " + spark.out());
        assertTrue(spark.out().contains("counts: one object ") && spark.out().contains("/42 right"), spark.out());
    }

    @Test
    void aBadRequestsFileIsAOneLineErrorNamingTheLine() throws IOException {
        Path bad = Files.writeString(tmp.resolve("bad.csv"), "index,class\n0,bag\n1,spaceship\n");
        Cli r = Cli.run("spark-sample", "--master", "local[1]", "--model", MODEL, "--requests", bad.toString(), "--out-dir",
                tmp.resolve("o").toString());
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().startsWith("diffusion4j: error: " + bad + ":3: column 'class': 'spaceship'"), r.err());
        Path prompt = Files.writeString(tmp.resolve("p.jsonl"), "{\"index\": 0, \"prompt\": \"a red circle\"}\n");
        r = Cli.run("spark-sample", "--master", "local[1]", "--model", MODEL, "--requests", prompt.toString(), "--out-dir",
                tmp.resolve("o").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains(prompt + ":1: column 'prompt': the model is class-conditional"), r.err());
        r = Cli.run("spark-sample", "--master", "local[1]", "--model", MODEL, "--requests", prompt.toString(), "-n", "4", "--out-dir",
                tmp.resolve("o").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--requests gives each image"), r.err());
        r = Cli.run("spark-sample", "--master", "local[1]", "--model", TEXT, "--out-dir", tmp.resolve("o").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("give --prompt TEXT, --prompts FILE or --requests FILE"), r.err());
        r = Cli.run("spark-sample", "--master", "local[1]", "--model", MODEL, "--format", "tiff", "--out-dir", tmp.resolve("o").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--format takes png or parquet"), r.err());
        assertTrue(!r.err().contains("\tat "), "no stack trace");
    }

    static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }
}
