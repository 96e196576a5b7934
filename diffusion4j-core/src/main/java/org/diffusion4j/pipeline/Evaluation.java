package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.diffusion.VariationalBound;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.eval.FeatureStats;
import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.PrecisionRecall;
import org.diffusion4j.eval.classifier.FashionClassifier;
import org.diffusion4j.eval.report.QualityReport;
import org.diffusion4j.eval.report.QualityReport.Metric;

/**
 * Sample quality with the Fashion-MNIST yardstick — what {@code diffusion4j eval} reports: FD against the
 * feature classifier's test-set statistics, the IS analogue, precision/recall against real test images,
 * the class accuracy of a class-conditional model's images and the NLL bound in bits/dim, each next to
 * real training images (the floor) and Gaussian noise (the ceiling).
 *
 * <p>The anchors (real-image subsets, noise images, the NLL's timesteps and noise) use the fixed seed
 * {@value #ANCHOR_SEED}, not the sampling seed, so reports of different models and seeds compare against
 * the same references.
 */
public final class Evaluation {

    /** Seed of the real-image subsets, the noise images and the NLL's timesteps and noise. */
    public static final long ANCHOR_SEED = 0;
    /** Fashion-MNIST test images available to precision/recall. */
    public static final int TEST_IMAGES = 10_000;
    /** The Fashion-MNIST test-set feature statistics inside the classifier folder. */
    public static final String TEST_STATS_FILE = "fmnist_test_stats.safetensors";

    /** The NLL bound's settings: real test images scored, KL terms evaluated (0 = all), reverse variance. */
    public record NllOptions(int images, int timesteps, VarianceType variance) {}

    /** What an evaluation shows while it runs: one-line messages and counted tasks (progress bars). */
    public interface Listener {
        Listener NONE = new Listener() {};

        default void message(String line) {}

        /** A task of {@code total} units; {@link Task#step()} after each. */
        default Task task(String name, long total, String unit) {
            return Task.NONE;
        }
    }

    /** A counted task. */
    public interface Task extends AutoCloseable {
        Task NONE = new Task() {
            @Override
            public void step() {}

            @Override
            public void close() {}
        };

        void step();

        @Override
        void close();
    }

    /**
     * The report and, for images with labels whose classes are the classifier's, the class accuracy of the
     * images and of as many real test images with their true labels (the ceiling); otherwise null.
     */
    public record Result(QualityReport report, ClassAccuracy.Result[] accuracy) {}

    private final Path classifierDir;
    private final FashionClassifier net;
    private final GaussianStats reference;

    private Evaluation(Path classifierDir, FashionClassifier net, GaussianStats reference) {
        this.classifierDir = classifierDir;
        this.net = net;
        this.reference = reference;
    }

    /**
     * Loads the feature classifier in {@code classifierDir} (its weights in {@code manager}) and its
     * Fashion-MNIST test statistics {@value #TEST_STATS_FILE}.
     */
    public static Evaluation load(Path classifierDir, NDManager manager) throws IOException {
        checkClassifierFolder(classifierDir);
        return new Evaluation(classifierDir, FashionClassifier.load(classifierDir, manager),
                GaussianStats.load(classifierDir.resolve(TEST_STATS_FILE)));
    }

    /** Refuses a folder that is not a feature-classifier folder, naming what is missing. */
    public static Path checkClassifierFolder(Path dir) throws NoSuchFileException {
        for (String f : new String[] {FashionClassifier.CONFIG_FILE, FashionClassifier.WEIGHTS_FILE, TEST_STATS_FILE}) {
            if (!Files.isRegularFile(dir.resolve(f))) {
                throw new NoSuchFileException(dir.resolve(f).toString(), null, "not a feature-classifier folder: it needs "
                        + FashionClassifier.CONFIG_FILE + ", " + FashionClassifier.WEIGHTS_FILE + " and " + TEST_STATS_FILE
                        + " (the shipped one is <repo>/models/fashion-classifier; pass --classifier DIR)");
            }
        }
        return dir;
    }

    public Path classifierDir() {
        return classifierDir;
    }

    public FashionClassifier classifier() {
        return net;
    }

    public GaussianStats reference() {
        return reference;
    }

    /** How the reference statistics were made, for reports. */
    public String referenceDescription() {
        return "Fashion-MNIST test feature statistics (" + reference.count() + " images, " + net.name()
                + " penultimate layer, " + net.featureDim() + "-D)";
    }

    /** Refuses a model whose images the Fashion-MNIST metrics cannot score (they need 1x28x28). */
    public static void checkGray28(DiffusionPipeline pipeline) {
        long[] s = pipeline.imageShape();
        if (s[0] != 1 || s[1] != FashionClassifier.IMAGE_SIZE || s[2] != FashionClassifier.IMAGE_SIZE) {
            throw new IllegalArgumentException(pipeline.folder() + ": the model makes " + s[0] + "x" + s[1] + "x" + s[2]
                    + " images, but the Fashion-MNIST metrics score 1x28x28 gray images only");
        }
    }

    /**
     * Whether the classifier's classes are the model's: the same count, and the model's names (if any) are
     * Fashion-MNIST's, which the shipped classifier was trained on. Null when they are, else why not.
     */
    public String classifierMismatch(ModelClasses classes) {
        if (classes.count() != net.config().numClasses()) {
            return "the model has " + classes.count() + " classes, the classifier " + net.config().numClasses();
        }
        List<String> names = classes.names();
        for (int i = 0; i < names.size(); i++) {
            if (!names.get(i).trim().equalsIgnoreCase(Datasets.FASHION_MNIST_CLASSES.get(i))) {
                return "the model's class " + i + " is '" + names.get(i) + "', the classifier's (Fashion-MNIST) '"
                        + Datasets.FASHION_MNIST_CLASSES.get(i) + "'";
            }
        }
        return null;
    }

    /**
     * Scores {@code scored} with {@code metrics} next to the floor and the ceiling, and (for {@link Metric#NLL})
     * the bound of {@code model} on real test, training and noise images.
     *
     * @param model the model whose NLL is measured, and whose classes label the NLL's images; null without NLL
     * @param settings what the report records about how it was made; this method adds its own entries
     * @param seconds time per phase, for the report; this method adds its own entries and {@code total}, the
     *     time since {@code startNanos} ({@link System#nanoTime()} when the whole run began)
     */
    public Result evaluate(EvalImages.Images scored, Set<Metric> metrics, DiffusionPipeline model, NllOptions nll, int batch,
            Map<String, Object> settings, Map<String, Double> seconds, long startNanos, NDManager manager, Listener listener)
            throws IOException {
        int n = scored.size();
        settings.put("classifier", classifierDir.toString());
        settings.put("reference", referenceDescription());
        EvalImages.Images train = EvalImages.fashionMnist(Split.TRAIN, n, ANCHOR_SEED);
        EvalImages.Images noise = EvalImages.noise(n, ANCHOR_SEED, manager);
        int splits = Math.min(10, Math.max(1, n / 100));
        int realCount = Math.min(n, TEST_IMAGES);
        settings.put("is_splits", splits);
        settings.put("pr_k", PrecisionRecall.DEFAULT_K);
        settings.put("pr_real_images", realCount);
        boolean featureMetrics = metrics.contains(Metric.FD) || metrics.contains(Metric.IS) || metrics.contains(Metric.PR);
        if (featureMetrics) {
            listener.message(String.format(Locale.ROOT, "features: %s (%d-D) from %s; FD against %s", net.name(), net.featureDim(),
                    classifierDir, "the Fashion-MNIST test statistics (" + reference.count() + " images)"));
        }
        if (metrics.contains(Metric.PR) || metrics.contains(Metric.IS)) {
            listener.message(String.format(Locale.ROOT, "precision/recall: k=%d against %d Fashion-MNIST test images; IS: %d split%s of %d",
                    PrecisionRecall.DEFAULT_K, realCount, splits, splits == 1 ? "" : "s", n / splits));
        }
        QualityReport.Scores[] scores = new QualityReport.Scores[3];
        long t = System.nanoTime();
        try (NDManager sub = manager.newSubManager();
                Task bar = featureMetrics ? listener.task("features", 4, "image sets") : Task.NONE) {
            NDArray realFeatures = null;
            if (metrics.contains(Metric.PR)) {
                EvalImages.Images real = EvalImages.fashionMnist(Split.TEST, realCount, ANCHOR_SEED);
                realFeatures = FeatureStats.features(net, real.toModelRange(sub), FeatureStats.DEFAULT_BATCH);
            }
            bar.step();
            EvalImages.Images[] sets = {scored, train, noise};
            for (int i = 0; i < 3; i++) {
                try (NDManager s = sub.newSubManager()) {
                    scores[i] = QualityReport.score(net, sets[i].toModelRange(s), reference, realFeatures, metrics, splits,
                            PrecisionRecall.DEFAULT_K);
                }
                bar.step();
            }
        }
        if (featureMetrics) {
            seconds.put("features", (System.nanoTime() - t) / 1e9);
        }
        ModelClasses classes = model == null ? ModelClasses.UNCONDITIONAL : model.classes();
        ClassAccuracy.Result[] accuracy = classAccuracy(classes, scored, manager, listener);
        if (metrics.contains(Metric.NLL)) {
            QualityReport.Nll[] bounds = nll(model, nll, batch, settings, seconds, manager, listener);
            for (int i = 0; i < 3; i++) {
                scores[i] = scores[i].withNll(bounds[i]);
            }
        }
        seconds.put("total", (System.nanoTime() - startNanos) / 1e9);
        List<QualityReport.Column> columns = List.of(
                new QualityReport.Column("samples", "samples", scored.description()
                        + (metrics.contains(Metric.NLL) ? "; NLL: of " + nll.images() + " real Fashion-MNIST test images" : ""),
                        scores[0]),
                new QualityReport.Column("train", "train (floor)", train.description(), scores[1]),
                new QualityReport.Column("noise", "noise (ceiling)", noise.description(), scores[2]));
        return new Result(new QualityReport(metrics, columns, settings, seconds), accuracy);
    }

    private ClassAccuracy.Result[] classAccuracy(ModelClasses classes, EvalImages.Images scored, NDManager manager,
            Listener listener) throws IOException {
        if (scored.labels() == null) {
            return null;
        }
        String mismatch = classifierMismatch(classes);
        if (mismatch != null) {
            listener.message("class accuracy: not measured: " + mismatch);
            return null;
        }
        try (NDManager sub = manager.newSubManager()) {
            EvalImages.Images real = EvalImages.fashionMnist(Split.TEST, Math.min(scored.size(), TEST_IMAGES), ANCHOR_SEED);
            return new ClassAccuracy.Result[] {
                ClassAccuracy.of(net, scored.toModelRange(sub), longs(scored.labels()), FeatureStats.DEFAULT_BATCH),
                ClassAccuracy.of(net, real.toModelRange(sub), longs(real.labels()), FeatureStats.DEFAULT_BATCH)};
        }
    }

    /** The bound in bits/dim (Ho et al. 2020, Eq. 5) of {@code model} on real test, training and noise images. */
    private static QualityReport.Nll[] nll(DiffusionPipeline model, NllOptions o, int batch, Map<String, Object> settings,
            Map<String, Double> seconds, NDManager manager, Listener listener) throws IOException {
        VariationalBound bound = new VariationalBound(new GaussianDiffusion(model.scheduler().noiseSchedule()));
        VariationalBound.Options options = VariationalBound.Options.defaults()
                .withVarianceType(o.variance())
                .withSubset(o.timesteps(), ANCHOR_SEED);
        int calls = bound.plan(options)[0].length;
        int terms = model.scheduler().numTrainTimesteps() - 1;
        listener.message(String.format(Locale.ROOT, "NLL: variational bound (Ho et al. 2020, Eq. 5) of %s on %d images per column: "
                + "%s + L0 + L_T, %d network calls per image; %s reverse variance, 8-bit discretised decoder", model.folder(),
                o.images(), calls - 1 >= terms ? "all " + terms + " KL terms"
                        : (calls - 1) + " of the " + terms + " KL terms (geometric strata, one seeded t each)",
                calls, options.varianceType().diffusersName()));
        settings.put("nll_model", model.folder().toString());
        settings.put("nll_images", o.images());
        settings.put("nll_kl_terms", calls - 1);
        settings.put("nll_network_calls_per_image", calls);
        settings.put("nll_variance", options.varianceType().diffusersName());
        settings.put("nll_decoder", "discretized_8bit");
        EvalImages.Images[] sets = {
            EvalImages.fashionMnist(Split.TEST, o.images(), ANCHOR_SEED),
            EvalImages.fashionMnist(Split.TRAIN, o.images(), ANCHOR_SEED),
            EvalImages.noise(o.images(), ANCHOR_SEED, manager)};
        int batches = (o.images() + batch - 1) / batch;
        long t = System.nanoTime();
        QualityReport.Nll[] out = new QualityReport.Nll[3];
        try (Task bar = listener.task("NLL", 3L * batches * calls, "calls")) {
            for (int i = 0; i < 3; i++) {
                double[] bpd = new double[o.images()];
                for (int from = 0; from < o.images(); from += batch) {
                    int to = Math.min(o.images(), from + batch);
                    try (NDManager sub = manager.newSubManager()) {
                        NDArray x0 = sets[i].toModelRange(sub, from, to);
                        UNetDenoiser denoiser = new UNetDenoiser(model.unet(), model.scheduler().predictionType(),
                                labels(model.classes(), sets[i], from, to));
                        VariationalBound.Result r = bound.bitsPerDim(denoiser, x0, options,
                                BatchedSampling.perImageNoise(ANCHOR_SEED, from, to), (done, total, step, termBpd) -> bar.step());
                        System.arraycopy(r.totalBpd(), 0, bpd, from, to - from);
                    }
                }
                out[i] = QualityReport.Nll.of(bpd);
            }
        }
        seconds.put("nll", (System.nanoTime() - t) / 1e9);
        return out;
    }

    /** Class labels for a class-conditional model: the images' own, or i mod K; null for an unconditional one. */
    private static long[] labels(ModelClasses classes, EvalImages.Images set, int from, int to) {
        if (!classes.conditional()) {
            return null;
        }
        int k = classes.count();
        long[] l = new long[to - from];
        for (int i = from; i < to; i++) {
            l[i - from] = set.labels() != null && set.labels()[i] < k ? set.labels()[i] : i % k;
        }
        return l;
    }

    /** int labels as the int64 the classifier's accuracy takes. */
    public static long[] longs(int[] v) {
        return Arrays.stream(v).asLongStream().toArray();
    }
}
