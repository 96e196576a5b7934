package org.diffusion4j.spark;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.diffusion4j.eval.FeatureExtractor;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.EvalImages;
import org.diffusion4j.pipeline.Evaluation;
import org.diffusion4j.pipeline.SampleListener;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;

/**
 * The work of one partition, on an executor: load the model folder (and the feature classifier) once, then
 * for each {@link Slice} sample its images through {@code pipeline/} — images [first, first + count) of the
 * run, bit for bit those of the single-machine run — write them as PNGs (temporary file, then rename: a
 * retried task rewrites the same bytes), and add their features and class predictions to the partition's
 * sums. Returns one {@link PartitionStats}.
 */
final class SampleTask implements FlatMapFunction<Iterator<Slice>, PartitionStats> {

    private static final long serialVersionUID = 1L;

    /** What a test runs after each slice of a task (e.g. fail the first attempt half-way); production: nothing. */
    interface Hook extends java.io.Serializable {
        Hook NONE = (slice, files) -> {};

        void afterSlice(Slice slice, List<Path> files);
    }

    private final Broadcast<SparkSettings> settings;
    private final Hook hook;

    SampleTask(Broadcast<SparkSettings> settings, Hook hook) {
        this.settings = settings;
        this.hook = hook;
    }

    @Override
    public Iterator<PartitionStats> call(Iterator<Slice> slices) throws Exception {
        PartitionStats out = new PartitionStats();
        if (!slices.hasNext()) {
            return List.of(out).iterator();
        }
        SparkSettings s = settings.value();
        String host = host();
        configureEngine();
        out.partitions = 1;
        out.hosts.add(host);
        long t = System.nanoTime();
        try (NDManager manager = NDManager.newBaseManager();
                DiffusionPipeline pipe = loadModel(s, manager, host);
                NDManager evalManager = manager.newSubManager()) {
            Evaluation eval = s.classifier() == null ? null : loadClassifier(s, pipe, evalManager, host);
            boolean accuracy = eval != null && pipe.classes().conditional() && eval.classifierMismatch(pipe.classes()) == null;
            if (eval != null) {
                out.features = new FeatureSums(eval.classifier().featureDim());
            }
            if (accuracy) {
                int k = eval.classifier().config().numClasses();
                out.confusion = new long[k][k];
            }
            out.loadSeconds = (System.nanoTime() - t) / 1e9;
            SampleRequest request = s.request();
            while (slices.hasNext()) {
                Slice slice = slices.next();
                long t0 = System.nanoTime();
                SampledImages images = pipe.sample(request.withN(slice.count()), slice.first(), SampleListener.NONE);
                List<Path> files = s.outDir() == null ? List.of()
                        : ImageGrid.writeEach(Path.of(s.outDir()), SparkSampling.PREFIX, images.values(), images.shape(), slice.first());
                out.files += files.size();
                out.images += slice.count();
                out.sampleSeconds += (System.nanoTime() - t0) / 1e9;
                hook.afterSlice(slice, files);
                if (eval != null) {
                    long t1 = System.nanoTime();
                    score(eval.classifier(), images, accuracy ? images.condition().labels() : null, out, manager);
                    out.scoreSeconds += (System.nanoTime() - t1) / 1e9;
                }
            }
        }
        return List.of(out).iterator();
    }

    /**
     * Adds the features of the images, quantised as their PNGs are (the bytes {@code diffusion4j eval} scores),
     * to the partition's statistics, and their predicted classes to the confusion counts. One classifier call
     * per slice, the same batches as the single-machine reference at {@code batch} images per call.
     */
    static void score(FeatureExtractor classifier, SampledImages images, long[] labels, PartitionStats out, NDManager manager) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray x = EvalImages.fromFloats(images.values(), "").toModelRange(sub);
            NDArray f = classifier.features(x);
            out.features.add(f.toType(DataType.FLOAT32, false).toFloatArray(), (int) f.getShape().get(0));
            if (labels != null) {
                long[] predicted = classifier.classProbabilities(x).argMax(1).toType(DataType.INT64, false).toLongArray();
                for (int i = 0; i < predicted.length; i++) {
                    out.confusion[(int) labels[i]][(int) predicted[i]]++;
                }
            }
        }
    }

    private static DiffusionPipeline loadModel(SparkSettings s, NDManager manager, String host) {
        try {
            return DiffusionPipeline.load(Path.of(s.model()), manager);
        } catch (IOException | RuntimeException e) {
            throw new ExecutorFailure("executor " + host + ": cannot load the model folder " + s.model() + ": " + describe(e)
                    + " (the model must be at a path every executor can read)", e);
        }
    }

    private static Evaluation loadClassifier(SparkSettings s, DiffusionPipeline pipe, NDManager manager, String host) {
        try {
            Evaluation.checkGray28(pipe);
            return Evaluation.load(Path.of(s.classifier()), manager);
        } catch (IOException | RuntimeException e) {
            throw new ExecutorFailure("executor " + host + ": cannot load the feature classifier " + s.classifier() + ": "
                    + describe(e), e);
        }
    }

    /** The exception's message, or its class when it has none; a missing file names the file. */
    static String describe(Throwable e) {
        if (e instanceof java.nio.file.NoSuchFileException f) {
            return "no such file or folder: " + f.getFile() + (f.getReason() == null ? "" : " (" + f.getReason() + ")");
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Executors on a cluster do not run the launcher: nothing may be downloaded ({@code ai.djl.offline}), and
     * unless the executor's JVM options say otherwise libtorch gets the task's cores ({@code spark.task.cpus}).
     */
    private static void configureEngine() {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        TaskContext context = TaskContext.get();
        if (System.getProperty("ai.djl.pytorch.num_threads") == null && context != null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(Math.max(1, context.cpus())));
        }
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }
}
