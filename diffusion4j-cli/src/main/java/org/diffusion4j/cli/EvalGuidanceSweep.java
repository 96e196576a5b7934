package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.eval.FeatureStats;
import org.diffusion4j.eval.FrechetDistance;
import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.PrecisionRecall;
import org.diffusion4j.eval.classifier.FashionClassifier;
import org.diffusion4j.eval.report.GuidanceSweep;
import org.diffusion4j.eval.report.GuidanceSweepReport;
import org.diffusion4j.eval.report.QualityReport.Metric;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.pipeline.ClassCondition;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.EvalImages;
import org.diffusion4j.pipeline.Evaluation;
import org.diffusion4j.pipeline.ModelClasses;
import org.diffusion4j.sampling.Sampler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine;

/**
 * {@code eval --guidance W,W,…}: the classifier-free-guidance trade-off of a class-conditional model.
 * For each w the same N images (same x_T, image i asked for class i mod K) are sampled and scored
 * with FD and the class accuracy ({@link GuidanceSweep}); the report ({@link GuidanceSweepReport}) is
 * rewritten after every scale, so a stopped sweep keeps what it measured.
 */
final class EvalGuidanceSweep {

    /** Where the report goes without --out, relative to the working directory. */
    static final String DEFAULT_OUT = "docs/guidance";

    /**
     * What the sweep is asked for: the sampling options, images per scale, seed, batch, the report folder,
     * an optional JSON copy, whether to show progress, and the running command (for its arguments and usage errors).
     */
    record Settings(SamplingOptions.Choice choice, SamplingOptions.Overrides overrides, SamplingOptions.Conditioning conditioning,
            int n, long seed, int batch, Path out, Path json, boolean noProgress, CommandLine commandLine) {}

    private final Settings cmd;
    private final Evaluation evaluation;
    private final NDManager manager;

    EvalGuidanceSweep(Settings settings, Evaluation evaluation, NDManager manager) {
        this.cmd = settings;
        this.evaluation = evaluation;
        this.manager = manager;
    }

    int run(DiffusionPipeline pipeline, Set<Metric> metrics, PrintWriter o) throws IOException {
        ModelClasses classes = pipeline.classes();
        SchedulerConfig config = pipeline.scheduler();
        Path dir = pipeline.folder();
        if (!classes.conditional()) {
            throw usage("--guidance " + cmd.conditioning().guidance + ": the model is unconditional (its unet/config.json has no "
                    + "num_class_embeds); a guidance sweep needs a class-conditional model trained with a null class");
        }
        List<Double> scales = cmd.conditioning().scales(classes);
        long[] requested = cmd.conditioning().requested(classes);
        int n = cmd.n();
        if (n < PrecisionRecall.DEFAULT_K + 1 && metrics.contains(Metric.PR)) {
            throw usage("precision/recall need at least " + (PrecisionRecall.DEFAULT_K + 1) + " images, got " + n);
        }
        Sampler sampler = cmd.choice().create(config, cmd.overrides());
        FashionClassifier net = evaluation.classifier();
        String mismatch = evaluation.classifierMismatch(classes);
        if (mismatch != null) {
            throw usage("--guidance: the class accuracy needs the model's classes to be the classifier's: " + mismatch);
        }
        GaussianStats reference = evaluation.reference();
        long[] labels = ModelClasses.cycle(n, requested);
        int steps = cmd.choice().stepsUsed(config);
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("model", dir.toString());
        settings.put("classes", classes.listText(requested) + " in turn (image i: class i mod "
                + requested.length + "); " + classes.describe());
        settings.put("sampler", sampler.name());
        settings.put("steps", steps);
        settings.put("evaluations_per_image", sampler.evaluations());
        if (cmd.overrides().given()) {
            settings.put("scheduler_overrides", cmd.overrides().describe());
        }
        settings.put("images", n);
        settings.put("seed", cmd.seed());
        settings.put("classifier", evaluation.classifierDir().toString());
        settings.put("reference", "Fashion-MNIST test feature statistics (" + reference.count() + " images, "
                + net.name() + " penultimate layer, " + net.featureDim() + "-D)");
        GuidanceSweep sweep = new GuidanceSweep(metrics, settings);
        Path outDir = cmd.out();
        String command = "diffusion4j " + String.join(" ", cmd.commandLine().getParseResult().originalArgs());
        int splits = Math.min(10, Math.max(1, n / 100));
        int realCount = Math.min(n, Evaluation.TEST_IMAGES);
        o.printf(Locale.ROOT, "eval: guidance sweep w = %s of %s: %d images each with %s (%d steps), seed %d, classes %s%n",
                scales.stream().map(GuidanceSweepReport::scaleText).toList(), dir, n, sampler.name(), steps, cmd.seed(),
                classes.listText(requested));
        o.flush();
        try (NDManager keep = manager.newSubManager()) {
            EvalImages.Images train = EvalImages.fashionMnist(Split.TRAIN, n, Evaluation.ANCHOR_SEED);
            EvalImages.Images test = EvalImages.fashionMnist(Split.TEST, realCount, Evaluation.ANCHOR_SEED);
            NDArray testImages = test.toModelRange(keep);
            double floorFd;
            try (NDManager s = keep.newSubManager()) {
                floorFd = FrechetDistance.squared(reference, FeatureStats.gaussian(net, train.toModelRange(s), FeatureStats.DEFAULT_BATCH));
            }
            ClassAccuracy.Result ceiling = ClassAccuracy.of(net, testImages, Evaluation.longs(test.labels()), FeatureStats.DEFAULT_BATCH);
            sweep.setAnchor(new GuidanceSweep.Anchor(train.description(), floorFd, test.description() + " with their labels", ceiling));
            o.printf(Locale.ROOT, "real images: FD %.2f (%d training images, the floor); class accuracy %s (%d test images, the ceiling)%n",
                    floorFd, n, ClassAccuracy.describe(ceiling), realCount);
            NDArray realFeatures = metrics.contains(Metric.PR) ? FeatureStats.features(net, testImages, FeatureStats.DEFAULT_BATCH) : null;
            GuidanceSweep.Scoring scoring = new GuidanceSweep.Scoring(net, reference, realFeatures, splits, PrecisionRecall.DEFAULT_K);
            Progress progress = TaskProgress.enabled(cmd.noProgress()) ? Progress.bar(cmd.commandLine().getErr()) : Progress.NONE;
            GuidanceSweep.Generator generator = (w, m) -> EvalImages.fromFloats(pipeline.generate(sampler,
                    ClassCondition.of(classes, labels, w), n, cmd.seed(), cmd.batch(), progress.listener(null)), "").toModelRange(m);
            GuidanceSweep.Listener listener = new GuidanceSweep.Listener() {
                @Override
                public void starting(double w, int index, int count) {
                    int inputs = ClassCondition.of(classes, labels, w).inputsPerEvaluation();
                    o.printf(Locale.ROOT, "[%d/%d] w = %s: %d network evaluations per image%s%n", index + 1, count,
                            GuidanceSweepReport.scaleText(w), sampler.evaluations(), inputs == 2 ? ", each on [x; x] with [c; null]" : "");
                    o.flush();
                }

                @Override
                public void finished(GuidanceSweep.Point p) {
                    o.printf(Locale.ROOT, "      FD %.2f, class accuracy %s, in %.1f s%n", p.scores().fd(),
                            ClassAccuracy.describe(p.accuracy()), p.seconds());
                    o.flush();
                }
            };
            sweep.run(scales, generator, labels, scoring, keep, listener, s -> GuidanceSweepReport.write(outDir, s, command));
        }
        o.println();
        o.print(GuidanceSweepReport.table(sweep));
        o.println();
        o.println(GuidanceSweepReport.summary(sweep));
        for (String f : new String[] {GuidanceSweepReport.MARKDOWN, GuidanceSweepReport.JSON, GuidanceSweepReport.CHART}) {
            o.println("wrote " + outDir.resolve(f));
        }
        if (cmd.json() != null) {
            Path parent = cmd.json().toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            AtomicFiles.writeString(cmd.json(), new GsonBuilder().setPrettyPrinting().serializeNulls().create()
                    .toJson(GuidanceSweepReport.toJson(sweep)) + "\n");
            o.println("wrote " + cmd.json());
        }
        o.flush();
        return 0;
    }

    private ParameterException usage(String message) {
        return new ParameterException(cmd.commandLine(), message);
    }
}
