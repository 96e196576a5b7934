package org.diffusion4j.spark;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.TaskContext;
import org.diffusion4j.diffusers.ClipModelFiles;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.Evaluation;
import org.diffusion4j.pipeline.SampleListener;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;
import org.diffusion4j.pipeline.ShapesEvaluation;

/**
 * What a task holds on an executor: the model (and the feature classifier, the CLIP model) loaded once, the slices
 * sampled through {@code pipeline/} — images [first, first + count) of the run, bit for bit those of the
 * single-machine run — and scored into the task's {@link PartitionStats}.
 */
final class SliceSampler implements AutoCloseable {

    final SparkSettings settings;
    final String host;
    final PartitionStats stats = new PartitionStats();
    private final NDManager manager;
    private final DiffusionPipeline pipe;
    private final Evaluation eval;
    private final boolean accuracy;
    private final ShapesEvaluation.Clip clip;
    private boolean closed;

    SliceSampler(SparkSettings s) {
        this.settings = s;
        this.host = host();
        configureEngine();
        stats.partitions = 1;
        stats.hosts.add(host);
        long t = System.nanoTime();
        manager = NDManager.newBaseManager();
        try {
            pipe = loadModel(s, manager, host);
            NDManager evalManager = manager.newSubManager();
            eval = s.classifier() == null ? null : loadClassifier(s, pipe, evalManager, host);
            accuracy = eval != null && pipe.classes().conditional() && eval.classifierMismatch(pipe.classes()) == null;
            if (eval != null) {
                stats.features = new FeatureSums(eval.classifier().featureDim());
            }
            if (accuracy) {
                int k = eval.classifier().config().numClasses();
                stats.confusion = new long[k][k];
            }
            clip = s.clip() == null ? null : loadClip(s, evalManager, host);
            if (s.shapes()) {
                stats.shapes = new ShapesEvaluation.Counts(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
                stats.clipSum = clip == null ? null : BigDecimal.ZERO;
                stats.clipFeatures = clip == null ? null : new FeatureSums(clip.model().embedDim());
                stats.imageSide = (int) pipe.imageShape()[1];
            }
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        stats.loadSeconds = (System.nanoTime() - t) / 1e9;
    }

    DiffusionPipeline pipeline() {
        return pipe;
    }

    /** The request whose images [first, first + count) are the slice's: the run's, or the slice's own seed and conditions. */
    static SampleRequest requestOf(SparkSettings s, Slice slice) {
        SampleRequest r = s.request();
        long seed = slice.seed() != null ? slice.seed() : r.seed();
        List<String> prompts = slice.prompts() != null ? Slice.rotated(slice.prompts(), slice.first()) : r.prompts();
        long[] classes = slice.classes() != null
                ? Slice.rotated(slice.classes(), slice.first()).stream().mapToLong(Long::longValue).toArray() : r.classes();
        return new SampleRequest(slice.count(), seed, r.sampler(), r.steps(), r.overrides(), classes, r.guidance(), r.batch(), prompts,
                r.negativePrompts(), null);
    }

    /** Samples the slice's images (counted, timed). */
    SampledImages sample(Slice slice) {
        long t0 = System.nanoTime();
        SampledImages images = pipe.sample(requestOf(settings, slice), slice.first(), SampleListener.NONE);
        stats.images += slice.count();
        stats.sampleSeconds += (System.nanoTime() - t0) / 1e9;
        return images;
    }

    /** Adds the images' features, class predictions and shapes-analyzer counts to the task's statistics. */
    void score(SampledImages images) {
        long t1 = System.nanoTime();
        if (eval != null) {
            SampleTask.score(eval.classifier(), images, accuracy ? images.condition().labels() : null, stats, manager);
        }
        if (settings.shapes()) {
            ShapesEvaluation.Counts c = ShapesEvaluation.count(images, clip);
            stats.shapes = stats.shapes.plus(c);
            if (clip != null) {
                stats.clipSum = stats.clipSum.add(new BigDecimal(c.clipSum()));
                stats.clipFeatures.add(ShapesEvaluation.clipFeatures(clip, images), images.count());
            }
        }
        stats.scoreSeconds += (System.nanoTime() - t1) / 1e9;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (clip != null) {
                clip.model().close();
            }
            pipe.close();
        } finally {
            manager.close();
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

    private static ShapesEvaluation.Clip loadClip(SparkSettings s, NDManager manager, String host) {
        try {
            Path dir = Path.of(s.clip());
            return new ShapesEvaluation.Clip(ClipModelFiles.load(dir, manager), ClipTokenizerFolder.load(dir.resolve("tokenizer")));
        } catch (IOException | RuntimeException e) {
            throw new ExecutorFailure("executor " + host + ": cannot load the CLIP folder " + s.clip() + ": " + describe(e)
                    + " (a train-clip folder, at a path every executor can read)", e);
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
