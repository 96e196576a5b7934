package org.diffusion4j.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.diffusion4j.diffusers.ClipModelFiles;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.eval.FrechetDistance;
import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.pipeline.Evaluation;
import org.diffusion4j.pipeline.ShapesEvaluation;

/**
 * Sampling and evaluation on Apache Spark: the n images of a request are cut into {@link Slice}s on the
 * single-machine batch grid, spread over partitions, and made by {@link SampleTask} on the executors
 * ({@code mapPartitions}: one model load per task); the per-partition sums come back through
 * {@code treeAggregate}, and the driver turns the merged feature statistics into the Fréchet distance
 * and the confusion counts into the class accuracy.
 *
 * <p>Image i depends only on (model, settings, seed, i) — as with {@code diffusion4j sample} — so the
 * result does not depend on the number of partitions or executors, nor on retries: a retried task
 * samples the same images and rewrites the same PNG bytes (each file written to a temporary name and
 * renamed).
 *
 * <p><b>Tables of requests</b> ({@link RequestTable}, {@link SparkRequests}): row (index, prompt or class, seed) is image
 * {@code index} of the request with seed {@code seed} (the row's, else the run's) whose image {@code index} has that
 * condition. The rows of one seed are sorted by index; those with consecutive indices in one cell [kB, (k + 1)B) of the
 * batch grid are one slice, one network call ({@link Slice#ofRequests}). Single-machine equivalents, byte for byte:
 * a table of indices 0 … n − 1 with one seed is {@code diffusion4j sample --seed S --batch B} with the conditions in
 * index order ({@code --prompts FILE -n 1} for prompts, {@code --class c0,c1,… -n n} for classes); a row alone in its
 * slice (e.g. the only row of its seed) is image {@code index} of {@code sample -n index+1 --seed s --batch 1} with its
 * condition. Other groupings are the same images up to the ulp-level rounding of another batch composition.
 *
 * <pre>{@code
 * try (JavaSparkContext sc = new JavaSparkContext(new SparkConf().setMaster("local[2]").setAppName("d4j"))) {
 *     SparkSampling.Result r = SparkSampling.run(sc, SparkSettings.of("/shared/models/fashion-mnist-ddpm", 10_000, 0)
 *             .withClassifier("/shared/models/fashion-classifier"), 0);
 *     System.out.println(r.fd());
 * }
 * }</pre>
 */
public final class SparkSampling {

    /** File names of the images: {@code sample_00000.png}, as {@code diffusion4j sample --out-dir} writes them. */
    public static final String PREFIX = "sample_";

    private SparkSampling() {}

    /**
     * What a run gives the driver.
     *
     * @param slices units of work (batches)
     * @param partitionCount partitions they were spread over
     * @param totals the merged sums of the partitions
     * @param features the feature statistics of all images, or null without a classifier
     * @param reference the reference statistics (Fashion-MNIST test set), or null without a classifier
     * @param fd the squared Fréchet distance ("FD", as {@code diffusion4j eval} reports it), or NaN without a classifier
     * @param accuracy the class accuracy of a class-conditional model's images, or null when not measured
     * @param seconds wall time of the job on the driver
     * @param clipFd a text model's FD in CLIP image space, from the merged embedding sums against
     *     {@link ShapesEvaluation#clipReference} (as {@code eval --clip}), or NaN without a CLIP model
     */
    public record Result(int slices, int partitionCount, PartitionStats totals, GaussianStats features, GaussianStats reference,
            double fd, ClassAccuracy.Result accuracy, double seconds, double clipFd) {

        /** A text model's shapes-analyzer scores, mean CLIP score and FD in CLIP space, or null when not measured. */
        public ShapesEvaluation.Scores shapes() {
            ShapesEvaluation.Scores s = totals.shapes();
            return s == null ? null : new ShapesEvaluation.Scores(s.images(), s.oneObject(), s.size(), s.twoParts(), s.twoBound(),
                    s.twoObject(), s.heldOut(), s.clipScore(), clipFd);
        }

        /** Images per second of wall time. */
        public double imagesPerSecond() {
            return totals.images() / seconds;
        }
    }

    /**
     * Samples (and scores) {@code settings} on {@code sc} in {@code partitions} partitions (0: Spark's default
     * parallelism; never more than there are batches).
     *
     * @throws ExecutorFailure with the executor's own words when a task failed for good (model not readable, …)
     * @throws IOException when the driver cannot read the classifier's reference statistics
     */
    public static Result run(JavaSparkContext sc, SparkSettings settings, int partitions) throws IOException {
        return run(sc, settings, partitions, SampleTask.Hook.NONE);
    }

    /**
     * Samples (and scores) a table of requests ({@link RequestTable}, {@link SparkRequests}): row (index, prompt or class,
     * seed) is image {@code index} of the request with that seed — its own, else {@code settings.seed()} — and that
     * condition, cut into slices by {@link Slice#ofRequests}, written as {@code sample_<index>.png}.
     */
    public static Result run(JavaSparkContext sc, SparkSettings settings, List<Request> requests, int partitions) throws IOException {
        return run(sc, settings.withN(requests.size()), Slice.ofRequests(requests, settings.seed(), settings.batch()), partitions,
                SampleTask.Hook.NONE);
    }

    static Result run(JavaSparkContext sc, SparkSettings settings, int partitions, SampleTask.Hook hook) throws IOException {
        return run(sc, settings, Slice.grid(settings.n(), settings.batch()), partitions, hook);
    }

    static Result run(JavaSparkContext sc, SparkSettings settings, List<Slice> slices, int partitions, SampleTask.Hook hook)
            throws IOException {
        GaussianStats reference = settings.classifier() == null ? null
                : GaussianStats.load(Evaluation.checkClassifierFolder(Path.of(settings.classifier())).resolve(Evaluation.TEST_STATS_FILE));
        int p = partitions(sc, slices, partitions);
        long t = System.nanoTime();
        Broadcast<SparkSettings> broadcast = sc.broadcast(settings);
        PartitionStats totals;
        try {
            totals = sc.parallelize(slices, p)
                    .mapPartitions(new SampleTask(broadcast, hook))
                    .treeAggregate(new PartitionStats(), PartitionStats::merge, PartitionStats::merge);
        } catch (Exception e) { // Spark's SparkException is checked, though Scala does not declare it
            throw executorFailure(e);
        } finally {
            broadcast.destroy();
        }
        double seconds = (System.nanoTime() - t) / 1e9;
        GaussianStats features = totals.features() == null ? null : totals.features().build();
        double fd = features == null ? Double.NaN : FrechetDistance.squared(reference, features);
        return new Result(slices.size(), p, totals, features, reference, fd, totals.accuracy(), seconds, clipFd(settings, totals));
    }

    /** FD in CLIP image space of a text model's images: the driver embeds the reference images with the same CLIP. */
    private static double clipFd(SparkSettings settings, PartitionStats totals) throws IOException {
        if (totals.clipFeatures() == null || settings.clip() == null) {
            return Double.NaN;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Path dir = Path.of(settings.clip());
            ShapesEvaluation.Clip clip = new ShapesEvaluation.Clip(ClipModelFiles.load(dir, m), ClipTokenizerFolder.load(dir.resolve("tokenizer")));
            try {
                return FrechetDistance.squared(ShapesEvaluation.clipReference(clip, totals.imageSide()), totals.clipFeatures().build());
            } finally {
                clip.model().close();
            }
        }
    }

    /** {@code partitions} (0: Spark's default parallelism), never more than there are slices. */
    static int partitions(JavaSparkContext sc, List<Slice> slices, int partitions) {
        return Math.min(slices.size(), partitions > 0 ? partitions : sc.defaultParallelism());
    }

    /**
     * Samples a DataFrame of requests ({@link SparkRequests}: columns index, prompt or class, seed) on {@code spark}'s
     * context; the model folder is read on the driver to check the rows.
     */
    public static Result run(org.apache.spark.sql.SparkSession spark, SparkSettings settings,
            org.apache.spark.sql.Dataset<org.apache.spark.sql.Row> requests, int partitions) throws IOException {
        List<Request> rows = SparkRequests.collect(requests, RequestTable.Model.load(Path.of(settings.model())));
        return run(JavaSparkContext.fromSparkContext(spark.sparkContext()), settings, rows, partitions);
    }

    /** The executor's own error when the job failed with one ({@link ExecutorFailure}), else Spark's first line. */
    static RuntimeException executorFailure(Exception e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof ExecutorFailure f) {
                return new ExecutorFailure(f.getMessage(), e);
            }
        }
        if (e instanceof RuntimeException r && !(e.getCause() instanceof SparkException)) {
            return r;
        }
        String m = String.valueOf(e.getMessage());
        int nl = m.indexOf('\n');
        return new ExecutorFailure("the Spark job failed: " + (nl < 0 ? m : m.substring(0, nl)), e);
    }
}
