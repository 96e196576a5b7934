package org.diffusion4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.diffusion4j.diffusers.ClipModelFiles;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.SampleListener;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;
import org.diffusion4j.pipeline.ShapesEvaluation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tables of requests (files and DataFrames), text models and the Parquet output on {@code local[2]}, against the
 * single-machine pipeline: the bundled class model (DDIM, 3 steps, batches of 8) and the tiny StableDiffusionPipeline
 * fixture made by diffusers (16×16 RGB through its VAE, 2 steps).
 */
class SparkRequestsTest {

    static final long SEED = 11;

    @TempDir
    static Path tmp;

    static JavaSparkContext sc;
    static SparkSession spark;
    static Path model;
    static Path text;

    @BeforeAll
    static void start() {
        Path root = Path.of(System.getProperty("diffusion4j.root", ".."));
        model = root.resolve("models/fashion-mnist-ddpm");
        text = root.resolve("diffusion4j-core/src/test/resources/fixtures/diffusers-t2i");
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2,2]").setAppName("diffusion4j-spark-requests-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "localhost"));
        spark = SparkSession.builder().sparkContext(sc.sc()).getOrCreate();
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.close();
        }
    }

    static SparkSettings classSettings() {
        return SparkSettings.of(model.toString(), 1, SEED).withSampler("ddim", 3).withBatch(8);
    }

    static SparkSettings textSettings() {
        return SparkSettings.of(text.toString(), 1, SEED).withSampler("ddim", 2).withBatch(4);
    }

    static RequestTable.Model kind(Path dir) throws IOException {
        return RequestTable.Model.load(dir);
    }

    /** The single machine: {@code request}'s images written as sample_<first + k>.png (only image {@code only} when >= 0). */
    static Path single(Path dir, SampleRequest request, int only) throws IOException {
        Path out = tmp.resolve("single-" + dir.getFileName() + "-" + request.seed() + "-" + request.n() + "-" + only);
        try (DiffusionPipeline pipe = DiffusionPipeline.load(dir)) {
            SampledImages s = pipe.sample(request, SampleListener.NONE);
            if (only < 0) {
                ImageGrid.writeEach(out, SparkSampling.PREFIX, s.values(), s.shape(), 0);
            } else {
                int per = (int) (s.shape()[1] * s.shape()[2] * s.shape()[3]);
                long[] one = s.shape().clone();
                one[0] = 1;
                ImageGrid.writeEach(out, SparkSampling.PREFIX, Arrays.copyOfRange(s.values(), only * per, (only + 1) * per), one, only);
            }
        }
        return out;
    }

    @Test
    void aClassTableIsSampleWithTheClassesInIndexOrderFromFileDataFrameAndParquet() throws IOException {
        String[] names = {"sneaker", "bag", "3", "Ankle boot", "0", "trouser"};
        long[] ids = {7, 8, 3, 9, 0, 1};
        int n = 20;
        StringBuilder jsonl = new StringBuilder();
        long[] inOrder = new long[n];
        for (int k = 0; k < n; k++) {
            int i = (k * 7) % n; // every index once, shuffled
            inOrder[i] = ids[i % ids.length];
            jsonl.append("{\"index\": ").append(i).append(", \"class\": \"").append(names[i % names.length]).append("\"}\n");
        }
        Path file = Files.writeString(tmp.resolve("classes.jsonl"), jsonl);
        // = diffusion4j sample --class 7,8,3,9,0,1,7,… -n 20 --seed 11 --steps 3 --batch 8
        Path reference = single(model, classSettings().withN(n).request().withClasses(inOrder), -1);
        List<Request> rows = RequestTable.read(file, kind(model));
        for (int partitions : new int[] {1, 3}) {
            Path out = tmp.resolve("classes-p" + partitions);
            SparkSampling.Result r = SparkSampling.run(sc, classSettings().withOutDir(out.toString()), rows, partitions);
            assertEquals(3, r.slices(), "the batch grid: [0, 8), [8, 16), [16, 20)");
            assertEquals(n, r.totals().files());
            SparkSamplingTest.assertSameFiles(reference, out);
        }
        // the same table as a DataFrame (Spark's JSON reader: index is a long, class a string)
        Path fromFrame = tmp.resolve("classes-df");
        Dataset<Row> frame = spark.read().json(file.toString());
        SparkSampling.run(spark, classSettings().withOutDir(fromFrame.toString()), frame, 2);
        SparkSamplingTest.assertSameFiles(reference, fromFrame);
        // Parquet: one row per image, png = the bytes of the PNG file
        Path parquet = tmp.resolve("classes.parquet");
        SparkSampling.Result p = ParquetOutput.write(spark, classSettings(), rows, 2, parquet.toString());
        assertEquals(n, p.totals().images());
        assertEquals(2, p.totals().partitions());
        List<Row> back = spark.read().parquet(parquet.toString()).orderBy("index").collectAsList();
        assertEquals(n, back.size());
        for (int i = 0; i < n; i++) {
            Row row = back.get(i);
            assertEquals(i, row.getInt(row.fieldIndex("index")));
            assertEquals(SEED, row.getLong(row.fieldIndex("seed")));
            assertEquals((int) inOrder[i], row.getInt(row.fieldIndex("class")));
            assertTrue(row.isNullAt(row.fieldIndex("prompt")));
            assertEquals("ddim", row.getString(row.fieldIndex("sampler")));
            assertEquals(3, row.getInt(row.fieldIndex("steps")));
            assertTrue(row.getString(row.fieldIndex("settings")).contains("\"batch\":8"), row.getString(row.fieldIndex("settings")));
            String png = String.format("%s%05d.png", SparkSampling.PREFIX, i);
            assertArrayEquals(Files.readAllBytes(reference.resolve(png)), (byte[]) row.get(row.fieldIndex("png")), png);
        }
        assertEquals("Sneaker", back.get(0).getString(back.get(0).fieldIndex("class_name")));
        ExecutorFailure exists = assertThrows(ExecutorFailure.class, () -> ParquetOutput.write(spark, classSettings(), rows, 2,
                parquet.toString()));
        assertTrue(exists.getMessage().contains("already exists"), exists.getMessage());
    }

    @Test
    void aParquetTaskKilledOnceIsRetriedAndTheDatasetHoldsEachImageOnce() throws IOException {
        SparkSettings s = classSettings().withN(16);
        Path reference = single(model, s.request(), -1);
        Path parquet = tmp.resolve("flaky.parquet");
        // partition 1's first attempt dies after its first batch, its rows half handed to the writer
        SampleTask.Hook flaky = (slice, files) -> {
            org.apache.spark.TaskContext c = org.apache.spark.TaskContext.get();
            if (c.partitionId() == 1 && c.attemptNumber() == 0) {
                throw new IllegalStateException("simulated executor loss after images " + slice.first() + ".." + (slice.end() - 1));
            }
        };
        SparkSampling.Result r = ParquetOutput.writeSlices(spark, s, Slice.grid(16, 4), 2, parquet.toString(), flaky);
        assertEquals(16, r.totals().images(), "the failed attempt's images are not counted");
        List<Row> back = spark.read().parquet(parquet.toString()).orderBy("index").collectAsList();
        assertEquals(16, back.size(), "each image once");
        for (int i = 0; i < 16; i++) {
            assertEquals(i, back.get(i).getInt(0));
            assertArrayEquals(Files.readAllBytes(reference.resolve(String.format("sample_%05d.png", i))), (byte[]) back.get(i).getAs("png"));
        }
    }

    @Test
    void aRowWithASeedOfItsOwnIsImageIndexOfThatSeedSampledAlone() throws IOException {
        Path file = Files.writeString(tmp.resolve("seeds.csv"), "index,class,seed\n5,bag,42\n11,0,43\n2,sneaker,\n");
        Path out = tmp.resolve("seeds");
        SparkSampling.Result r = SparkSampling.run(sc, classSettings().withOutDir(out.toString()), RequestTable.read(file, kind(model)), 2);
        assertEquals(3, r.slices());
        // = image <index> of: diffusion4j sample --class C -n <index + 1> --seed S --steps 3 --batch 1
        SampleRequest base = classSettings().request().withBatch(1);
        Path[] expected = {single(model, withSeed(base.withN(6).withClasses(8), 42), 5), single(model, withSeed(base.withN(12).withClasses(0), 43), 11),
            single(model, base.withN(3).withClasses(7), 2)};
        for (Path e : expected) {
            String f = SparkSamplingTest.list(e).get(0);
            assertArrayEquals(Files.readAllBytes(e.resolve(f)), Files.readAllBytes(out.resolve(f)), f);
        }
        // row 5 has seed 42: that of row 5 under seed 42, not under the run's seed 11
        Path underRunSeed = single(model, base.withN(6).withClasses(8), 5);
        assertTrue(!Arrays.equals(Files.readAllBytes(underRunSeed.resolve("sample_00005.png")), Files.readAllBytes(out.resolve("sample_00005.png"))));
        assertEquals(List.of("sample_00002.png", "sample_00005.png", "sample_00011.png"), SparkSamplingTest.list(out));
    }

    static SampleRequest withSeed(SampleRequest r, long seed) {
        return new SampleRequest(r.n(), seed, r.sampler(), r.steps(), r.overrides(), r.classes(), r.guidance(), r.batch(), r.prompts(),
                r.negativePrompts());
    }

    @Test
    void aPromptsTableOfATextModelIsSampleWithThePromptsInIndexOrder() throws IOException {
        String[] prompts = {"a red circle", "a small blue square", "a green triangle", "a big yellow circle"};
        StringBuilder csv = new StringBuilder("index,prompt\n");
        List<String> inOrder = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            inOrder.add(prompts[i % prompts.length]);
        }
        for (int i = 9; i >= 0; i--) {
            csv.append(i).append(",\"").append(inOrder.get(i)).append("\"\n");
        }
        Path file = Files.writeString(tmp.resolve("prompts.csv"), csv);
        // = diffusion4j sample --prompts FILE -n 1 --seed 11 --steps 2 --batch 4 (FILE: the prompts in index order)
        Path reference = single(text, textSettings().withN(10).request().withPrompts(inOrder), -1);
        Path out = tmp.resolve("prompts");
        SparkSampling.Result r = SparkSampling.run(sc, textSettings().withOutDir(out.toString()), RequestTable.read(file, kind(text)), 3);
        assertEquals(3, r.slices());
        assertEquals(3, r.totals().partitions());
        SparkSamplingTest.assertSameFiles(reference, out);
        // the run's own prompts (no table), sliced on the grid: image i takes prompts[i mod m] as in the single-machine run
        Path grid = tmp.resolve("prompts-grid");
        SparkSampling.run(sc, textSettings().withN(10).withPrompts(inOrder, null).withOutDir(grid.toString()), 2);
        SparkSamplingTest.assertSameFiles(reference, grid);
    }

    @Test
    void shapesAnalyzerCountsClipScoresAndClipFdOfATextModelEqualTheSingleMachineEval() throws IOException {
        Path clipDir = TinyClip.create(tmp.resolve("clip"));
        List<String> perImage = ShapesEvaluation.promptsPerImage(1, 42);
        SparkSettings s = textSettings().withBatch(16).withN(perImage.size()).withPrompts(perImage, null)
                .withShapesEvaluation(clipDir.toString());
        SparkSampling.Result r = SparkSampling.run(sc, s, 3);
        ShapesEvaluation.Scores spark = r.shapes();
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager(); DiffusionPipeline pipe = DiffusionPipeline.load(text, m)) {
            ShapesEvaluation.Clip clip = new ShapesEvaluation.Clip(ClipModelFiles.load(clipDir, m), ClipTokenizerFolder.load(clipDir.resolve("tokenizer")));
            // = diffusion4j eval --model <text> -n 1 --steps 2 --batch 16 --seed 11 --clip <clip> (its model row)
            SampleRequest base = new SampleRequest(1, SEED, "ddim", 2, null, null, null, 16);
            ShapesEvaluation.Scores one = ShapesEvaluation.ofModel(pipe, base, 1, 42, clip, SampleListener.NONE);
            System.err.printf("shapes eval: spark %s%n              single %s%n", spark, one);
            assertEquals(84, spark.images());
            assertEquals(one.images(), spark.images());
            assertEquals(one.oneObject(), spark.oneObject(), 0.0);
            assertEquals(one.size(), spark.size(), 0.0);
            assertEquals(one.twoObject(), spark.twoObject(), 0.0);
            assertEquals(one.heldOut(), spark.heldOut(), 0.0);
            assertTrue(one.clipScore() > 0, "a CLIP score was measured: " + one.clipScore());
            // what the accuracies are counted over: 42 one-object prompts (6 held out), 42 two-object ones
            ShapesEvaluation.Counts counts = r.totals().shapesCounts();
            assertEquals(List.of(84L, 42L, 42L, 6L), List.of(counts.images(), counts.oneObject(), counts.twoObject(), counts.heldOut()));
            // the CLIP network scores batches of 16 here and of 64 there: equal to the last bit on an AMD Zen 4, 1.6e-9 apart
            // on a Sapphire Rapids whose kernels round the two batch sizes differently; float32 embeddings, so 1e-6 relative
            assertEquals(one.clipScore(), spark.clipScore(), 1e-6 * one.clipScore());
            // FD in CLIP space from the partitions' exact embedding sums against the same 2000 reference images
            assertTrue(one.fd() > 0 && Double.isFinite(spark.fd()), spark.toString());
            assertEquals(one.fd(), spark.fd(), 1e-6 * one.fd());
            clip.model().close();
        }
    }

    @Test
    void aDataFrameWithTheWrongColumnsIsRefusedNamingTheColumn() throws IOException {
        RequestTable.Model classes = kind(model);
        StructType schema = new StructType().add("index", DataTypes.StringType).add("class", DataTypes.StringType);
        Dataset<Row> wrongType = spark.createDataFrame(List.of(RowFactory.create("0", "bag")), schema);
        String m = assertThrows(IllegalArgumentException.class, () -> SparkRequests.collect(wrongType, classes)).getMessage();
        assertTrue(m.contains("column 'index' is string; it must be an integer type"), m);
        Dataset<Row> noIndex = spark.createDataFrame(List.of(RowFactory.create("bag")), new StructType().add("class", DataTypes.StringType));
        m = assertThrows(IllegalArgumentException.class, () -> SparkRequests.collect(noIndex, classes)).getMessage();
        assertTrue(m.contains("has no column 'index'"), m);
        StructType ok = new StructType().add("index", DataTypes.IntegerType).add("class", DataTypes.StringType);
        Dataset<Row> unknown = spark.createDataFrame(List.of(RowFactory.create(0, "bag"), RowFactory.create(1, "spaceship")), ok);
        m = assertThrows(IllegalArgumentException.class, () -> SparkRequests.collect(unknown, classes)).getMessage();
        assertTrue(m.startsWith("the DataFrame of requests, row 2 (index 1): column 'class': 'spaceship'"), m);
        assertEquals(List.of(new Request(0, null, 8L, null)), SparkRequests.collect(spark.createDataFrame(List.of(RowFactory.create(0, "bag")), ok),
                classes));
    }
}
