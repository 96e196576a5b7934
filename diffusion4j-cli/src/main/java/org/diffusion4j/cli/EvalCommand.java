package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.diffusion4j.diffusers.ClipModelFiles;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.eval.PrecisionRecall;
import org.diffusion4j.eval.report.GuidanceSweepReport;
import org.diffusion4j.eval.report.QualityReport.Metric;
import org.diffusion4j.eval.report.QualityReport;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.pipeline.BindingProbe;
import org.diffusion4j.pipeline.ClassCondition;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.EvalImages;
import org.diffusion4j.pipeline.Evaluation;
import org.diffusion4j.pipeline.ModelClasses;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;
import org.diffusion4j.pipeline.ShapesEvaluation;
import org.diffusion4j.sampling.Sampler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j eval}: sample-quality metrics of a model (or of a folder of images from
 * anywhere) with the Fashion-MNIST yardstick — FD against the shipped test-set feature statistics,
 * the IS analogue, precision/recall against real test images, and the NLL bound in bits/dim —
 * next to the same metrics for real training images (the floor) and Gaussian noise (the ceiling).
 *
 * <p>The real-image subsets and the noise images use fixed seeds ({@link Evaluation#ANCHOR_SEED}), not
 * {@code --seed}, so reports of different models and seeds compare against the same references.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure sample quality (FD, IS, precision/recall) and the NLL bound in bits/dim.",
            "",
            "  diffusion4j eval                           # bundled model, ddim 50 steps, 1000 images",
            "  diffusion4j eval --model runs/m --sampler ddpm -n 5000 --metrics fd,is,pr,nll --json e.json",
            "  diffusion4j eval --samples fid-samples/     # score PNGs (or a uint8 .npy) from anywhere",
            "  diffusion4j eval --model runs/cond --guidance 0,1,2,4 --out docs/guidance   # FD and class accuracy per w",
            "",
            "A class-conditional model is asked for every class in turn (image i: class i mod K) and its class accuracy",
            "(the requested class = the classifier's) is reported next to the classifier's accuracy on real test images.",
            ""})
final class EvalCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder (diffusers layout) to sample and to score the NLL of. Default: <repo>/" + ModelLoading.DEFAULT_MODEL + ".")
    Path model;

    @Option(names = "--samples", paramLabel = "DIR|FILE.npy",
            description = "Score these images instead of sampling: a folder of 28x28 PNG files, or a .npy of uint8 [N, 28, 28] "
                    + "(or [N, 1, 28, 28]; float arrays are read as values in [-1, 1], as 'sample --out-raw' writes).")
    Path samples;

    @Mixin
    SamplingOptions.Choice choice;

    @Mixin
    SamplingOptions.Overrides overrides;

    @Mixin
    SamplingOptions.Conditioning conditioning;

    @Mixin
    SamplingOptions.Cascade cascade;

    @Option(names = {"-n", "--num-images"}, paramLabel = "N",
            description = "Images to sample and to compare (default: 1000; with --samples: all of them).")
    Integer numImages;

    @Option(names = "--metrics", paramLabel = "LIST",
            description = "Comma-separated: fd, is, pr, nll (default: fd,is,pr,nll; with --samples: fd,is,pr).")
    String metricsSpec;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "B", description = "Images per network call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the report as JSON.")
    Path json;

    @Option(names = "--out", paramLabel = "DIR",
            description = "With a --guidance list: the folder of guidance.md, guidance.json and guidance.png (default: docs/guidance).")
    Path out;

    @Option(names = "--nll-images", defaultValue = "64", paramLabel = "N",
            description = "Real test images the NLL bound is computed on (also the anchors' count) (default: ${DEFAULT-VALUE}).")
    int nllImages;

    @Option(names = "--nll-timesteps", defaultValue = "100", paramLabel = "M",
            description = "KL terms of the bound evaluated, on geometric strata of 1..T-1; 0 = all T-1 (default: ${DEFAULT-VALUE}).")
    int nllTimesteps;

    @Option(names = "--nll-variance", defaultValue = "fixed_large", paramLabel = "V",
            description = "Reverse variance in the bound: fixed_large (beta_t, Ho et al.'s NLL) or fixed_small (default: ${DEFAULT-VALUE}).")
    String nllVariance;

    @Option(names = "--classifier", paramLabel = "DIR",
            description = "Feature classifier folder with the test statistics. Default: <repo>/" + ModelLoading.DEFAULT_CLASSIFIER + ".")
    Path classifier;

    @Option(names = "--clip", paramLabel = "DIR",
            description = "Text models: a train-clip folder; adds the CLIP score (100 max(cos, 0), with the project's CLIP).")
    Path clip;

    @Option(names = "--binding", arity = "0..1", fallbackValue = "" + BindingProbe.IMAGES, paramLabel = "N",
            description = "Text models: also the binding probe, the diffusion classifier's choice (Li et al. 2023) between each of "
                    + "N real two-object test captions (default " + BindingProbe.IMAGES + ") and the same words with the colours or "
                    + "the objects swapped; reads the model's likelihood, not its samples, so no guidance.")
    Integer binding;

    @Option(names = "--no-progress", description = "Do not show progress bars.")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    private final Map<String, Double> seconds = new LinkedHashMap<>();

    @Override
    public Integer call() throws IOException {
        if (binding != null && (binding < 1 || binding > BindingProbe.MAX_IMAGES)) {
            throw usage("--binding takes 1 to " + BindingProbe.MAX_IMAGES + " images, got " + binding);
        }
        boolean sweep = conditioning.guidance != null && conditioning.guidance.size() > 1;
        Set<Metric> metrics = metrics(sweep);
        validate(sweep);
        PrintWriter o = spec.commandLine().getOut();
        long start = System.nanoTime();
        Path classifierDir = ModelLoading.classifierDir(classifier);
        boolean useModel = samples == null || metrics.contains(Metric.NLL);
        Path dir = useModel ? ModelLoading.modelDir(model) : null;
        Map<String, Object> settings = new LinkedHashMap<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            DiffusionPipeline pipeline = useModel ? DiffusionPipeline.load(dir, manager) : null;
            if (pipeline != null && pipeline.isText()) {
                return evalText(pipeline, o, start);
            }
            if (binding != null) {
                throw usage("--binding probes a text-to-image model of the shapes data (--model)" + (dir == null ? "" : "; " + dir
                        + " is not one"));
            }
            if (cascade.given()) {
                throw usage("--upscale: eval scores a cascade of a text-to-image model of the shapes data; " + dir + " is not one");
            }
            if (pipeline != null) {
                Evaluation.checkGray28(pipeline);
            }
            Evaluation evaluation = Evaluation.load(classifierDir, manager);
            if (sweep) {
                return new EvalGuidanceSweep(sweepSettings(), evaluation, manager).run(pipeline, metrics, o);
            }
            EvalImages.Images scored = imagesToScore(pipeline, settings);
            int n = scored.size();
            if (n < PrecisionRecall.DEFAULT_K + 1 && metrics.contains(Metric.PR)) {
                throw usage("precision/recall need at least " + (PrecisionRecall.DEFAULT_K + 1) + " images, got " + n);
            }
            settings.put("images", n);
            o.println("eval: " + scored.description());
            o.flush();
            Evaluation.NllOptions nll = new Evaluation.NllOptions(nllImages, nllTimesteps, VarianceType.parse(nllVariance));
            Evaluation.Result result = evaluation.evaluate(scored, metrics, pipeline, nll, batch, settings, seconds, start,
                    manager, listener(o));
            QualityReport report = result.report();
            ClassAccuracy.Result[] accuracy = result.accuracy();
            o.println();
            o.print(report.table());
            o.println();
            if (metrics.contains(Metric.FD) || metrics.contains(Metric.IS) || metrics.contains(Metric.PR)) {
                o.printf(Locale.ROOT, "floor: %d real Fashion-MNIST training images (what a perfect model scores with %d images); "
                        + "ceiling: %d Gaussian-noise images%n", n, n, n);
            }
            if (metrics.contains(Metric.NLL)) {
                o.printf(Locale.ROOT, "NLL row: the model's bound on %d real test | training | noise images, not on the samples%n", nllImages);
            }
            if (accuracy != null) {
                o.printf(Locale.ROOT, "class accuracy (the classifier's arg-max is the requested class): samples %s; "
                        + "real test images with their labels (the ceiling) %s%n", ClassAccuracy.describe(accuracy[0]),
                        ClassAccuracy.describe(accuracy[1]));
            }
            o.println("time: " + timeLine(report.seconds()));
            if (json != null) {
                writeJson(report, accuracy);
                o.println("wrote " + json);
            }
        }
        o.flush();
        return 0;
    }

    /**
     * A text-to-image model of the shapes data: -n images (default 4) per evaluation prompt, read by the shapes
     * analyzer, next to the real test images.
     */
    private int evalText(DiffusionPipeline pipeline, PrintWriter o, long start) throws IOException {
        int perPrompt = numImages == null ? 4 : numImages;
        int twoObject = 42;
        boolean byDefault = conditioning.guidance == null;
        List<Double> scales = byDefault ? List.of(pipeline.defaultGuidance()) : conditioning.guidance;
        o.printf(Locale.ROOT, "eval: %d images per prompt of the %d shapes evaluation prompts (42 one-object, 6 of them held out; %d "
                + "two-object) from %s, seed %d; read by the shapes analyzer%n", perPrompt, 42 + twoObject, twoObject, pipeline.folder(), seed);
        o.flush();
        Progress progress = TaskProgress.enabled(noProgress) ? Progress.bar(spec.commandLine().getErr()) : Progress.NONE;
        ShapesEvaluation.Clip scorer = null;
        if (clip != null) {
            scorer = new ShapesEvaluation.Clip(ClipModelFiles.load(clip, pipeline.manager()), ClipTokenizerFolder.load(clip.resolve("tokenizer")));
        }
        com.google.gson.JsonArray rows = new com.google.gson.JsonArray();
        StringBuilder table = new StringBuilder(ShapesTable.header(scorer != null));
        List<String> perImage = ShapesEvaluation.promptsPerImage(perPrompt, twoObject);
        int size = (int) pipeline.imageShape()[1];
        for (Double w : scales) {
            if (w == null || !(w >= 0) || w.isInfinite()) {
                throw usage("--guidance takes finite scales >= 0, got " + scales);
            }
            SampleRequest base = new SampleRequest(perImage.size(), seed, choice.sampler, choice.steps, overrides::apply, null, w, batch,
                    perImage, null);
            long sampling = System.nanoTime();
            SampledImages images = pipeline.sample(base, progress.listener(null));
            SamplingOptions.Cascade.Upscaled up = cascade.apply(images, pipeline.manager(), seed, choice, overrides, batch,
                    progress.listener(null));
            double perImageSeconds = (System.nanoTime() - sampling) / 1e9 / perImage.size();
            String label = w + (byDefault ? " (the model's default)" : "");
            o.printf(Locale.ROOT, "guidance %s: %d images sampled%s in %.1f s (%.3f s per image)%n", label,
                    perImage.size(), up.line() == null ? "" : " and " + up.line().replaceFirst(" in [0-9.]+ s$", ""),
                    perImageSeconds * perImage.size(), perImageSeconds);
            o.flush();
            size = (int) up.images().shape()[2];
            ShapesEvaluation.Scores model = ShapesEvaluation.ofImages(up.images(), scorer);
            table.append(ShapesTable.row(label, model, scorer != null));
            com.google.gson.JsonObject row = ShapesTable.json(model);
            row.addProperty("guidance", w);
            row.addProperty("seconds_per_image", perImageSeconds);
            rows.add(row);
        }
        ShapesEvaluation.Scores real = ShapesEvaluation.ofRealImages(size, 400, Evaluation.ANCHOR_SEED, scorer);
        table.append(ShapesTable.row("real test images (ceiling)", real, scorer != null));
        if (scorer != null) {
            scorer.model().close();
        }
        o.println();
        o.print(table);
        o.printf(Locale.ROOT, "%n%d images per scale scored in %.1f s%n", (42 + twoObject) * perPrompt, (System.nanoTime() - start) / 1e9);
        BindingProbe.Result probe = null;
        if (binding != null) {
            long t0 = System.nanoTime();
            probe = BindingProbe.measure(pipeline, binding, BindingProbe.DRAWS, Evaluation.ANCHOR_SEED);
            o.printf(Locale.ROOT, "binding probe (diffusion classifier, %d real two-object test images, %d (t, eps) draws each, %.1f s): "
                    + "colours %s, order %s%n", probe.images(), probe.draws(), (System.nanoTime() - t0) / 1e9, text(probe.colours()),
                    text(probe.order()));
        }
        if (json != null) {
            com.google.gson.JsonObject j = new com.google.gson.JsonObject();
            j.add("model", rows);
            j.add("real_test_images", ShapesTable.json(real));
            j.addProperty("images_per_prompt", perPrompt);
            if (probe != null) {
                com.google.gson.JsonObject b = new com.google.gson.JsonObject();
                b.addProperty("images", probe.images());
                b.addProperty("draws", probe.draws());
                b.add("colours", json(probe.colours()));
                b.add("order", json(probe.order()));
                j.add("binding_probe", b);
            }
            if (cascade.given()) {
                j.addProperty("upscale", cascade.upscale.toString());
            }
            AtomicFiles.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(j) + "\n");
            o.println("wrote " + json);
        }
        o.flush();
        return 0;
    }

    /** "0.557 (285 right of 512, 0 ties)"; right choices with a half for each tie: 57 or 57.5. */
    private static String text(BindingProbe.Choices c) {
        String right = c.right() == Math.floor(c.right()) ? Long.toString((long) c.right()) : Double.toString(c.right());
        return String.format(Locale.ROOT, "%.3f (%s right of %d, %d ties)", c.accuracy(), right, c.tests(), c.ties());
    }

    private static com.google.gson.JsonObject json(BindingProbe.Choices c) {
        com.google.gson.JsonObject o = new com.google.gson.JsonObject();
        o.addProperty("accuracy", c.accuracy());
        o.addProperty("right", c.right());
        o.addProperty("tests", c.tests());
        o.addProperty("ties", c.ties());
        return o;
    }

    /** Messages to the output, counted tasks as progress bars on stderr (unless --no-progress). */
    private Evaluation.Listener listener(PrintWriter o) {
        return new Evaluation.Listener() {
            @Override
            public void message(String line) {
                o.println(line);
                o.flush();
            }

            @Override
            public Evaluation.Task task(String name, long total, String unit) {
                TaskProgress bar = TaskProgress.open(TaskProgress.enabled(noProgress), name, total, unit);
                return new Evaluation.Task() {
                    @Override
                    public void step() {
                        bar.step();
                    }

                    @Override
                    public void close() {
                        bar.close();
                    }
                };
            }
        };
    }

    /** What the guidance sweep needs of this command's options. */
    private EvalGuidanceSweep.Settings sweepSettings() {
        return new EvalGuidanceSweep.Settings(choice, overrides, conditioning, numImages == null ? 1000 : numImages, seed, batch,
                out != null ? out : Path.of(EvalGuidanceSweep.DEFAULT_OUT), json, noProgress, spec.commandLine());
    }

    private Set<Metric> metrics(boolean sweep) {
        String spec = metricsSpec != null ? metricsSpec : samples == null && !sweep ? "fd,is,pr,nll" : "fd,is,pr";
        Set<Metric> m;
        try {
            m = QualityReport.Metric.parse(spec);
        } catch (IllegalArgumentException e) {
            throw usage("--metrics: " + e.getMessage());
        }
        if (sweep && m.contains(Metric.NLL)) {
            throw usage("--metrics nll: the NLL bound does not depend on the guidance scale; a --guidance list measures fd, is and pr "
                    + "(and the class accuracy); run eval with one --guidance value for the NLL");
        }
        return m;
    }

    private void validate(boolean sweep) {
        if (numImages != null && numImages < 1) {
            throw usage("-n must be at least 1, got " + numImages);
        }
        if (batch < 1) {
            throw usage("--batch must be at least 1, got " + batch);
        }
        if (nllImages < 1 || nllTimesteps < 0) {
            throw usage("--nll-images must be at least 1 and --nll-timesteps at least 0 (0 = all), got "
                    + nllImages + " and " + nllTimesteps);
        }
        if (samples != null && (choice.given() || overrides.given() || conditioning.given())) {
            throw usage("--sampler, --steps, --eta, --spacing, --variance, --clip-sample, --karras, --class and --guidance choose how "
                    + "images are sampled; with --samples nothing is sampled, omit them");
        }
        if (out != null && !sweep) {
            throw usage("--out is the folder of a guidance sweep; give --guidance a list such as 0,1,2,4 (or use --json FILE)");
        }
        try {
            VarianceType v = VarianceType.parse(nllVariance);
            if (v.isLearned()) {
                throw usage("--nll-variance must be fixed_large or fixed_small, got '" + nllVariance + "'");
            }
        } catch (IllegalArgumentException e) {
            throw usage("--nll-variance: " + e.getMessage());
        }
    }

    /** The images to score: --samples, or n images sampled from the model. */
    private EvalImages.Images imagesToScore(DiffusionPipeline pipeline, Map<String, Object> settings) throws IOException {
        if (samples != null) {
            EvalImages.Images set = EvalImages.read(samples);
            if (numImages != null) {
                if (numImages > set.size()) {
                    throw usage("-n " + numImages + " but " + samples + " holds " + set.size() + " images");
                }
                set = set.head(numImages);
            }
            settings.put("source", "samples");
            settings.put("samples", samples.toString());
            return set;
        }
        int n = numImages == null ? 1000 : numImages;
        SchedulerConfig config = pipeline.scheduler();
        ModelClasses classes = pipeline.classes();
        Path dir = pipeline.folder();
        Sampler s = choice.create(config, overrides);
        long[] requested = conditioning.requested(classes);
        double w = conditioning.scale(classes);
        long[] labels = requested == null ? null : ModelClasses.cycle(n, requested);
        ClassCondition condition = ClassCondition.of(classes, labels, w);
        long t = System.nanoTime();
        Progress progress = TaskProgress.enabled(noProgress) ? Progress.bar(spec.commandLine().getErr()) : Progress.NONE;
        float[] values = pipeline.generate(s, condition, n, seed, batch, progress.listener(null));
        seconds.put("sampling", (System.nanoTime() - t) / 1e9);
        settings.put("source", "model");
        settings.put("model", dir.toString());
        settings.put("sampler", s.name());
        settings.put("steps", choice.stepsUsed(config));
        settings.put("evaluations_per_image", s.evaluations());
        if (overrides.given()) {
            settings.put("scheduler_overrides", overrides.describe());
        }
        settings.put("seed", seed);
        String classText = "";
        if (labels != null) {
            settings.put("classes", classes.listText(requested));
            settings.put("guidance_scale", w);
            classText = String.format(Locale.ROOT, ", classes %s in turn, guidance %s%s", classes.listText(requested),
                    GuidanceSweepReport.scaleText(w), Arrays.stream(requested).distinct().count() < classes.count()
                            ? " (FD and precision/recall still compare with all classes' images)" : "");
        }
        EvalImages.Images images = EvalImages.fromFloats(values, String.format(Locale.ROOT,
                "%d images sampled from %s with %s (%d steps, %d network evaluations per image), seed %d%s",
                n, dir, s.name(), choice.stepsUsed(config), s.evaluations(), seed, classText));
        return labels == null ? images : images.withLabels(Arrays.stream(labels).mapToInt(Math::toIntExact).toArray());
    }

    private static String timeLine(Map<String, Double> seconds) {
        List<String> parts = new ArrayList<>();
        seconds.forEach((k, v) -> parts.add(String.format(Locale.ROOT, "%s %.1f s", k, v)));
        return String.join(", ", parts);
    }

    private void writeJson(QualityReport report, ClassAccuracy.Result[] accuracy) throws IOException {
        Path parent = json.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        com.google.gson.JsonObject o = report.toJson();
        if (accuracy != null) {
            com.google.gson.JsonObject a = new com.google.gson.JsonObject();
            a.add("samples", GuidanceSweepReport.accuracyJson(accuracy[0]));
            a.add("real_test_images", GuidanceSweepReport.accuracyJson(accuracy[1]));
            o.add("class_accuracy", a);
        }
        AtomicFiles.writeString(json, new GsonBuilder().setPrettyPrinting().create().toJson(o) + "\n");
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
