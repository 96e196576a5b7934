package org.diffusion4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.SparkConf;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.eval.FeatureStats;
import org.diffusion4j.eval.FrechetDistance;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.EvalImages;
import org.diffusion4j.pipeline.Evaluation;
import org.diffusion4j.pipeline.SampleListener;
import org.diffusion4j.pipeline.SampledImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark job on {@code local[2]} (two task threads in this JVM, a failed task retried once) against the
 * single-machine pipeline: 64 images of the bundled class-conditional model (DDIM, 3 steps to stay fast,
 * guidance 2, batches of 8), cut into 1, 2 and 7 partitions; the metrics on 320 images of a tiny random
 * 28×28 model (more images than the classifier's 256 feature dimensions).
 */
class SparkSamplingTest {

    static final int N = 64;
    static final int BATCH = 8;
    static final long SEED = 5;
    static final int EVAL_N = 320;
    static final int EVAL_BATCH = 40;

    @TempDir
    static Path tmp;

    static JavaSparkContext sc;
    static Path model;
    static Path classifier;
    /** The single-machine run: images 0..63 in batches of 8, and their PNGs. */
    static SampledImages reference;
    static Path referenceDir;
    static Path tiny;

    @BeforeAll
    static void start() throws IOException {
        Path root = Path.of(System.getProperty("diffusion4j.root", ".."));
        model = root.resolve("models/fashion-mnist-ddpm");
        classifier = root.resolve("models/fashion-classifier");
        // local[2, 2]: two tasks at a time, a task may fail once and is retried (maxFailures = 2)
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2,2]").setAppName("diffusion4j-spark-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "localhost"));
        try (DiffusionPipeline pipe = DiffusionPipeline.load(model)) {
            reference = pipe.sample(settings().request(), SampleListener.NONE);
        }
        tiny = TinyModel.create(tmp.resolve("tiny"));
        referenceDir = tmp.resolve("single");
        ImageGrid.writeEach(referenceDir, SparkSampling.PREFIX, reference.values(), reference.shape(), 0);
    }

    @AfterAll
    static void stop() {
        if (sc != null) {
            sc.close();
        }
    }

    static SparkSettings settings() {
        return SparkSettings.of(model.toString(), N, SEED).withSampler("ddim", 3).withBatch(BATCH);
    }

    static SparkSettings tinySettings() {
        return SparkSettings.of(tiny.toString(), EVAL_N, SEED).withSampler("ddim", 2).withBatch(EVAL_BATCH)
                .withClassifier(classifier.toString());
    }

    static void assertSameFiles(Path expected, Path actual) throws IOException {
        List<String> names = list(expected);
        assertEquals(names, list(actual), "the same file names, no temporaries left");
        for (String f : names) {
            assertArrayEquals(Files.readAllBytes(expected.resolve(f)), Files.readAllBytes(actual.resolve(f)), f);
        }
    }

    static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void imagesAreByteIdenticalToTheSingleMachineRunWithOneTwoAndSevenPartitions() throws IOException {
        for (int partitions : new int[] {1, 2, 7}) {
            Path out = tmp.resolve("p" + partitions);
            SparkSampling.Result r = SparkSampling.run(sc, settings().withOutDir(out.toString()), partitions);
            assertEquals(N, r.totals().images());
            assertEquals(N, r.totals().files());
            assertEquals(partitions, r.partitionCount());
            assertEquals(partitions, r.totals().partitions(), "one model load per partition");
            assertSameFiles(referenceDir, out);
        }
    }

    @Test
    void fdFromMergedStatisticsEqualsTheSingleMachineFdAndATaskKilledOnceChangesNothing() throws IOException {
        SparkSampling.Result r = SparkSampling.run(sc, tinySettings(), 7);
        Path single = tmp.resolve("tiny-single");
        System.err.printf("eval run: %.1f s wall; load %.1f, sample %.1f, score %.1f task-seconds%n", r.seconds(), r.totals().loadSeconds(),
                r.totals().sampleSeconds(), r.totals().scoreSeconds());
        try (NDManager m = NDManager.newBaseManager(); DiffusionPipeline pipe = DiffusionPipeline.load(tiny, m)) {
            Evaluation eval = Evaluation.load(classifier, m);
            // single machine: all images at once, their PNG bytes, features in the same batches, one accumulator
            SampledImages all = pipe.sample(tinySettings().request(), SampleListener.NONE);
            ImageGrid.writeEach(single, SparkSampling.PREFIX, all.values(), all.shape(), 0);
            EvalImages.Images images = EvalImages.fromFloats(all.values(), "single");
            float[] features = FeatureStats.features(eval.classifier(), images.toModelRange(m), EVAL_BATCH).toFloatArray();
            int d = eval.classifier().featureDim();
            FeatureSums sums = new FeatureSums(d);
            for (int from = 0; from < EVAL_N; from += EVAL_BATCH) {
                sums.add(Arrays.copyOfRange(features, from * d, (from + EVAL_BATCH) * d), EVAL_BATCH);
            }
            double fd = FrechetDistance.squared(eval.reference(), sums.build());
            assertEquals(fd, r.fd(), 1e-9 * fd, "FD from 7 partitions' merged statistics");
            // the streaming floating-point estimate of 'diffusion4j eval' agrees to the last digits FD can resolve
            double chan = FrechetDistance.squared(eval.reference(), FeatureStats.gaussian(eval.classifier(), images.toModelRange(m), EVAL_BATCH));
            assertEquals(chan, r.fd(), 1e-7 * chan);
            System.err.printf("FD %.12f (spark, 7 partitions) %.12f (one process, exact sums) %.12f (one process, Chan)%n", r.fd(), fd, chan);
            assertEquals(EVAL_N, r.features().count());
            ClassAccuracy.Result acc = ClassAccuracy.of(eval.classifier(), images.toModelRange(m), all.condition().labels(), EVAL_BATCH);
            assertNotNull(r.accuracy());
            assertEquals(EVAL_N, r.accuracy().images());
            assertEquals(acc.correct(), r.accuracy().correct());
            assertArrayEquals(acc.confusion(), r.accuracy().confusion());
        }
        // partition 1's first attempt dies after its first batch: files on disk, statistics lost; Spark retries it
        Path out = tmp.resolve("flaky");
        SampleTask.Hook flaky = (slice, files) -> {
            TaskContext c = TaskContext.get();
            if (c.partitionId() == 1 && c.attemptNumber() == 0) {
                throw new IllegalStateException("simulated executor loss after images " + slice.first() + ".." + (slice.end() - 1));
            }
        };
        SparkSampling.Result retried = SparkSampling.run(sc, tinySettings().withOutDir(out.toString()), 3, flaky);
        System.err.printf("retried run: %.1f s wall; load %.1f, sample %.1f, score %.1f task-seconds%n", retried.seconds(),
                retried.totals().loadSeconds(), retried.totals().sampleSeconds(), retried.totals().scoreSeconds());
        assertEquals(EVAL_N, retried.totals().images(), "the failed attempt's images are not counted twice");
        assertEquals(EVAL_N, list(out).size(), "no temporaries left");
        assertEquals(3, retried.totals().partitions());
        assertEquals(r.fd(), retried.fd(), 0.0, "exact sums: the same FD from 3 partitions and a retry as from 7");
        assertEquals(r.accuracy().correct(), retried.accuracy().correct());
        assertArrayEquals(r.accuracy().confusion(), retried.accuracy().confusion());
        assertSameFiles(single, out);
    }

    @Test
    void aModelThatCannotBeLoadedFailsTheJobWithTheExecutorsError() throws IOException {
        Path missing = tmp.resolve("no-such-model");
        ExecutorFailure e = assertThrows(ExecutorFailure.class,
                () -> SparkSampling.run(sc, SparkSettings.of(missing.toString(), 16, 0).withSampler("ddim", 2), 2));
        assertTrue(e.getMessage().startsWith("executor "), e.getMessage());
        assertTrue(e.getMessage().contains("cannot load the model folder " + missing), e.getMessage());
        assertTrue(e.getMessage().contains("no such model folder"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        Path notAModel = Files.createDirectories(tmp.resolve("empty-folder"));
        ExecutorFailure e2 = assertThrows(ExecutorFailure.class,
                () -> SparkSampling.run(sc, SparkSettings.of(notAModel.toString(), 16, 0), 1));
        assertTrue(e2.getMessage().contains("unet/config.json"), e2.getMessage());
    }

    @Test
    void slicesFollowTheBatchGrid() {
        assertEquals(List.of(new Slice(0, 8), new Slice(8, 8), new Slice(16, 4)), Slice.grid(20, 8));
        assertEquals(List.of(new Slice(0, 3)), Slice.grid(3, 64));
        assertThrows(IllegalArgumentException.class, () -> Slice.grid(0, 8));
    }
}
