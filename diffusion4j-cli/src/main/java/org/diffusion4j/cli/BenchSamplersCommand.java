package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusers.UNet2DConfigJson;
import org.diffusion4j.diffusers.UNet2DFolder;
import org.diffusion4j.eval.FeatureStats;
import org.diffusion4j.eval.FrechetDistance;
import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.classifier.FashionClassifier;
import org.diffusion4j.eval.report.SamplerSweep;
import org.diffusion4j.eval.report.SamplerSweepReport;
import org.diffusion4j.pipeline.ClassCondition;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.EvalImages;
import org.diffusion4j.pipeline.Evaluation;
import org.diffusion4j.pipeline.ModelClasses;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.Samplers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j bench-samplers}: FD against network evaluations for several samplers and step
 * counts, on the same N images from the same seeds, with the T-step DDPM as the reference. The
 * sweep is resumable: its state is OUT/samplers.json, rewritten after every cell.
 */
@Command(name = "bench-samplers", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Quality (FD) versus cost (network evaluations, wall time) of the samplers.",
            "",
            "  diffusion4j bench-samplers --dry-run                 # the plan and its cost",
            "  diffusion4j bench-samplers -n 256 --max-minutes 60   # again: continues where it stopped",
            "  diffusion4j bench-samplers --samplers ddim,dpm-solver++ --steps 5,10,20 --out /tmp/bench",
            "",
            "Writes OUT/samplers.md (table and verdict), samplers.csv, samplers.json (state) and samplers.png.",
            ""})
final class BenchSamplersCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder (diffusers layout). Default: <repo>/" + ModelLoading.DEFAULT_MODEL + ".")
    Path model;

    @Option(names = {"-n", "--num-images"}, defaultValue = "256", paramLabel = "N",
            description = "Images per cell, the same x_T for every cell (default: ${DEFAULT-VALUE}).")
    int numImages;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the images (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--samplers", defaultValue = "ddpm,ddim,euler,heun,dpm-solver++,euler-maruyama,pc", paramLabel = "LIST",
            description = "Comma-separated samplers (default: ${DEFAULT-VALUE}).")
    String samplerList;

    @Option(names = "--steps", defaultValue = "5,10,20,50,100", paramLabel = "LIST",
            description = "Comma-separated step counts (default: ${DEFAULT-VALUE}).")
    String stepList;

    @Mixin
    SamplingOptions.Overrides overrides;

    @Mixin
    SamplingOptions.Conditioning conditioning;

    @Option(names = "--reference-steps", paramLabel = "T",
            description = "Steps of the reference DDPM cell; 0 = none (default: the model's T, num_train_timesteps).")
    Integer referenceSteps;

    @Option(names = "--out", defaultValue = "docs/samplers", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--max-minutes", defaultValue = "0", paramLabel = "M",
            description = "Start no cell that would end after M minutes (estimated from the measured speed); 0 = no limit.")
    double maxMinutes;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "B", description = "Images per network call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--fresh", description = "Discard the results in OUT/samplers.json and start over.")
    boolean fresh;

    @Option(names = "--dry-run", description = "Print the cells, their network evaluations and the estimated time; run nothing.")
    boolean dryRun;

    @Option(names = "--classifier", paramLabel = "DIR",
            description = "Feature classifier folder with the test statistics. Default: <repo>/" + ModelLoading.DEFAULT_CLASSIFIER + ".")
    Path classifier;

    @Option(names = "--no-progress", description = "Do not show progress bars.")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<String> samplers = samplers();
        List<Integer> steps = steps();
        if (numImages < 2 || batch < 1 || maxMinutes < 0 || (referenceSteps != null && referenceSteps < 0)) {
            throw usage("-n must be at least 2, --batch at least 1, --max-minutes and --reference-steps at least 0");
        }
        PrintWriter o = spec.commandLine().getOut();
        Path dir = ModelLoading.modelDir(model);
        SchedulerConfig config = DiffusionPipeline.readScheduler(dir);
        Path classifierDir = ModelLoading.classifierDir(classifier);
        Path statsFile = classifierDir.resolve(Evaluation.TEST_STATS_FILE);
        GaussianStats reference = GaussianStats.load(statsFile);
        int refSteps = referenceSteps != null ? referenceSteps : config.numTrainTimesteps();
        ModelClasses classes = ModelClasses.read(dir, UNet2DConfigJson.read(dir.resolve("unet").resolve(UNet2DFolder.CONFIG_FILE)));
        long[] requested = conditioning.requested(classes);
        double guidance = conditioning.scale(classes);
        ClassCondition condition = ClassCondition.of(classes, requested == null ? null : ModelClasses.cycle(numImages, requested), guidance);
        String variant = variant(classes, requested, guidance);
        SamplerSweep.Settings settings = new SamplerSweep.Settings(dir + (variant.isEmpty() ? "" : " (" + variant + ")"),
                variant.isEmpty() ? digest(dir) : sha256(digest(dir) + "|" + variant), numImages, seed,
                "Fashion-MNIST test feature statistics (" + reference.count() + " images, " + classifierDir.getFileName() + ")", refSteps);
        Path state = out.resolve("samplers.json");
        SamplerSweep sweep = loadOrCreate(state, settings);
        List<SamplerSweep.Cell> plan = SamplerSweep.plan(samplers, steps, refSteps);
        overrides.apply(config.samplerOptions(1));
        SamplerSweep.SamplerFactory factory = cell -> Samplers.create(cell.sampler(), config.noiseSchedule(),
                overrides.apply(config.samplerOptions(cell.steps())));
        if (dryRun) {
            printPlan(o, sweep, plan, factory);
            o.flush();
            return 0;
        }
        Files.createDirectories(out);
        String command = "diffusion4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        try (NDManager manager = NDManager.newBaseManager()) {
            DiffusionPipeline pipeline = DiffusionPipeline.load(dir, manager);
            Evaluation.checkGray28(pipeline);
            FashionClassifier net = FashionClassifier.load(classifierDir, manager);
            if (Double.isNaN(sweep.floorFd()) && Datasets.isInstalled("fashion-mnist")) {
                EvalImages.Images train = EvalImages.fashionMnist(Split.TRAIN, numImages, Evaluation.ANCHOR_SEED);
                try (NDManager sub = manager.newSubManager()) {
                    GaussianStats s = FeatureStats.gaussian(net, train.toModelRange(sub), FeatureStats.DEFAULT_BATCH);
                    sweep.setFloor(FrechetDistance.squared(reference, s), train.description());
                }
            }
            o.printf(Locale.ROOT, "bench-samplers: %s, %d images, seed %d, %d cells (%d done); floor FD %.2f (%d real training images)%n",
                    dir, numImages, seed, plan.size(), plan.stream().filter(c -> sweep.result(c).isPresent()).count(),
                    sweep.floorFd(), numImages);
            o.flush();
            SamplerSweep.Generator generator = (sampler, m) -> EvalImages.fromFloats(
                    pipeline.generate(sampler, condition, numImages, seed, batch, progress().listener(null)), "").toModelRange(m);
            SamplerSweep.Listener listener = new SamplerSweep.Listener() {
                @Override
                public void starting(SamplerSweep.Cell cell, Sampler sampler, int index, int count, double estimate) {
                    o.printf(Locale.ROOT, "[%d/%d] %s: %d evaluations per image%s%n", index + 1, count, cell, sampler.evaluations(),
                            Double.isNaN(estimate) ? "" : String.format(Locale.ROOT, ", about %.0f s", estimate));
                    o.flush();
                }

                @Override
                public void finished(SamplerSweep.Result r) {
                    o.printf(Locale.ROOT, "      FD %.2f in %.1f s (%.0f image-evaluations/s)%n", r.fd(), r.seconds(),
                            (double) r.evaluations() * numImages / r.seconds());
                    o.flush();
                }

                @Override
                public void failed(SamplerSweep.Failure f) {
                    o.printf(Locale.ROOT, "not run: %s %d steps: %s%n", f.sampler(), f.steps(), f.error());
                }

                @Override
                public void outOfTime(List<SamplerSweep.Cell> pending) {
                    o.printf(Locale.ROOT, "time budget of %.0f minutes reached; %d cells pending (run the same command again to continue)%n",
                            maxMinutes, pending.size());
                }
            };
            SamplerSweep.Checkpoint checkpoint = s -> {
                s.save(state, plan);
                SamplerSweepReport.write(out, s, samplers, pending(s, plan), command);
            };
            checkpoint.save(sweep);
            sweep.run(plan, factory, generator, net, reference, manager, maxMinutes * 60, listener, checkpoint);
            checkpoint.save(sweep);
        }
        o.println();
        o.println(SamplerSweepReport.verdictText(sweep));
        for (String f : new String[] {"samplers.md", "samplers.csv", "samplers.json", "samplers.png"}) {
            if (Files.exists(out.resolve(f))) {
                o.println("wrote " + out.resolve(f));
            }
        }
        o.flush();
        return 0;
    }

    /** The sweep in the state file, if it is one of these settings (and not --fresh), else a new one. */
    private SamplerSweep loadOrCreate(Path state, SamplerSweep.Settings settings) throws IOException {
        if (!Files.exists(state) || fresh) {
            return new SamplerSweep(settings);
        }
        SamplerSweep old = SamplerSweep.load(state);
        if (!old.settings().sameSweep(settings)) {
            throw usage(state + " holds a sweep of other settings (" + describe(old.settings()) + "; now " + describe(settings)
                    + "); pass --fresh to discard it, or another --out");
        }
        return old;
    }

    /** Cells of the plan with neither a result nor a failure. */
    private static List<SamplerSweep.Cell> pending(SamplerSweep s, List<SamplerSweep.Cell> plan) {
        return plan.stream().filter(c -> s.result(c).isEmpty()
                && s.failures().stream().noneMatch(f -> f.sampler().equals(c.sampler()) && f.steps() == c.steps())).toList();
    }

    private void printPlan(PrintWriter o, SamplerSweep sweep, List<SamplerSweep.Cell> plan, SamplerSweep.SamplerFactory factory) {
        long work = 0;
        o.printf(Locale.ROOT, "%-16s %6s %12s  %s%n", "sampler", "steps", "evals/image", "status");
        for (SamplerSweep.Cell c : plan) {
            String status;
            int evals;
            try {
                Sampler s = factory.create(c);
                evals = s.evaluations();
                boolean done = sweep.result(c).isPresent();
                status = done ? String.format(Locale.ROOT, "done: FD %.2f", sweep.result(c).get().fd()) : "to run";
                if (!done) {
                    work += (long) evals * numImages;
                }
            } catch (IllegalArgumentException e) {
                evals = 0;
                status = "cannot run: " + e.getMessage();
            }
            o.printf(Locale.ROOT, "%-16s %6d %12d  %s%n", c.sampler(), c.steps(), evals, status);
        }
        double estimate = sweep.estimateSeconds(1) * work / numImages;
        o.printf(Locale.ROOT, "to run: %,d image-evaluations (%d images); %s%n", work, numImages,
                Double.isNaN(estimate) ? "at 100-300 image-evaluations/s (the bundled 28x28 model on 2 cores) that is "
                        + String.format(Locale.ROOT, "%.0f-%.0f minutes", work / 300.0 / 60, work / 100.0 / 60)
                        : String.format(Locale.ROOT, "about %.0f minutes at the speed measured so far", estimate / 60));
    }

    private List<String> samplers() {
        LinkedHashSet<String> out = new LinkedHashSet<>();
        for (String s : samplerList.split(",")) {
            String name = s.trim().toLowerCase(Locale.ROOT);
            try {
                Samplers.factory(name);
            } catch (IllegalArgumentException e) {
                throw usage("--samplers: " + e.getMessage());
            }
            out.add(name);
        }
        return new ArrayList<>(out);
    }

    private List<Integer> steps() {
        LinkedHashSet<Integer> out = new LinkedHashSet<>();
        for (String s : stepList.split(",")) {
            try {
                int n = Integer.parseInt(s.trim());
                if (n < 1) {
                    throw new NumberFormatException();
                }
                out.add(n);
            } catch (NumberFormatException e) {
                throw usage("--steps takes comma-separated positive integers, got '" + stepList + "'");
            }
        }
        return new ArrayList<>(out);
    }

    private static String describe(SamplerSweep.Settings s) {
        return String.format(Locale.ROOT, "model %s sha256 %s…, n=%d, seed %d, reference %d steps", s.model(),
                s.modelDigest().substring(0, Math.min(12, s.modelDigest().length())), s.images(), s.seed(), s.referenceSteps());
    }

    /**
     * What besides the model decides the images: the scheduler overrides, and for a class-conditional model
     * the classes and the guidance scale ({@code classes=all,guidance=2}); empty for an unconditional model
     * sampled with the scheduler config's settings, so such sweeps keep their digest.
     */
    private String variant(ModelClasses classes, long[] requested, double guidance) {
        List<String> parts = new ArrayList<>();
        if (requested != null) {
            parts.add("classes=" + (conditioning.classes == null ? "all" : java.util.Arrays.toString(requested).replace(" ", "")));
            parts.add("guidance=" + java.math.BigDecimal.valueOf(guidance).stripTrailingZeros().toPlainString());
        }
        if (overrides.given()) {
            parts.add(overrides.describe());
        }
        return String.join(",", parts);
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** SHA-256 over the UNet config, its weights and the scheduler config: the model a result belongs to. */
    static String digest(Path dir) throws IOException {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (Path p : new Path[] {dir.resolve("unet").resolve(UNet2DFolder.CONFIG_FILE), dir.resolve("unet").resolve(UNet2DFolder.WEIGHTS_FILE),
                    dir.resolve("scheduler").resolve("scheduler_config.json")}) {
                try (InputStream in = new DigestInputStream(Files.newInputStream(p), md)) {
                    in.transferTo(java.io.OutputStream.nullOutputStream());
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private Progress progress() {
        return TaskProgress.enabled(noProgress) ? Progress.bar(spec.commandLine().getErr()) : Progress.NONE;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
