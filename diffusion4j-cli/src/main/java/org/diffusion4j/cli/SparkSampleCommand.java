package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.ModelClasses;
import org.diffusion4j.spark.Request;
import org.diffusion4j.spark.RequestTable;
import org.diffusion4j.spark.SparkSampling;
import org.diffusion4j.spark.SparkSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j spark-sample}: {@code sample -n N --out-dir DIR} on Apache Spark. The n images are cut into
 * batches of {@code --batch} (the single-machine batches), spread over partitions; each task loads the model once
 * and writes its images; image i is the same PNG, byte for byte, as {@code sample} writes for the same seed. Or a
 * table of requests ({@code --requests FILE}), one image per row; or a Parquet dataset ({@code --format parquet}).
 */
@Command(name = "spark-sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate images on Apache Spark: the same PNG bytes as 'sample -n N --out-dir DIR' for the same seed.",
            "",
            "  diffusion4j spark-sample --master local[2] -n 1000 --out-dir out/",
            "  diffusion4j spark-sample --model text-model/ --requests requests.jsonl --format parquet --out-dir images.parquet",
            "  spark-submit … diffusion4j-cli.jar spark-sample --model /shared/model -n 50000 --out-dir /shared/out   (README)",
            ""})
final class SparkSampleCommand implements Callable<Integer> {

    @Mixin
    SparkJobOptions job;

    @Mixin
    SamplingOptions.Choice choice;

    @Mixin
    SamplingOptions.Overrides overrides;

    @Mixin
    SamplingOptions.Conditioning conditioning;

    @Mixin
    SparkTextOptions text;

    @Option(names = {"-n", "--num-images"}, paramLabel = "N",
            description = "Number of images (default: 64); a class-conditional model gives them the classes in turn; a text model: "
                    + "images per prompt (default: 8), as 'sample'.")
    Integer numImages;

    @Option(names = "--format", defaultValue = "png", paramLabel = "png|parquet",
            description = "png: DIR/sample_00000.png, …; parquet: DIR is a new Parquet dataset, one row per image (index, seed, prompt "
                    + "or class, sampler, steps, guidance, settings JSON, png bytes) (default: ${DEFAULT-VALUE}).")
    String format;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (job.outDir == null) {
            throw usage(spec, "--out-dir DIR is needed: spark-sample writes one PNG per image (on a cluster, to shared storage)");
        }
        boolean parquet = switch (format.trim().toLowerCase(Locale.ROOT)) {
            case "png" -> false;
            case "parquet" -> true;
            default -> throw usage(spec, "--format takes png or parquet, got '" + format + "'");
        };
        if (parquet && Files.exists(job.outDir)) {
            throw usage(spec, "--out-dir " + job.outDir + " exists; --format parquet writes a new dataset folder: remove it or name another");
        }
        Checked c = check(spec, job, choice, overrides, conditioning);
        SparkSettings settings = c.settings();
        List<Request> requests = null;
        if (text.requests != null) {
            if (numImages != null || text.prompt != null || text.promptsFile != null || conditioning.classes != null) {
                throw usage(spec, "--requests gives each image (its index, prompt or class, seed): leave out -n, --prompt, --prompts and --class");
            }
            if (text.negativePrompt != null && !c.model().text()) {
                throw usage(spec, "--negative-prompt: the model is not text-conditional (its folder is not a StableDiffusionPipeline)");
            }
            try {
                requests = RequestTable.read(text.requests, c.model());
            } catch (IllegalArgumentException e) {
                throw usage(spec, e.getMessage());
            }
            settings = settings.withN(requests.size()).withPrompts(null, text.negativePrompt);
        } else if (c.model().text()) {
            List<String> prompts = text.prompts();
            if (prompts.isEmpty()) {
                throw usage(spec, "--prompt: " + settings.model() + " is a text-conditional model; give --prompt TEXT, --prompts FILE "
                        + "or --requests FILE");
            }
            int per = numImages == null ? SampleCommand.PER_ROW : numImages;
            if (per < 1) {
                throw usage(spec, "-n must be at least 1, got " + per);
            }
            List<String> perImage = SparkTextOptions.perImage(prompts, per);
            settings = settings.withN(perImage.size()).withPrompts(perImage, text.negativePrompt);
        } else {
            if (text.prompt != null || text.promptsFile != null || text.negativePrompt != null) {
                throw usage(spec, "--prompt: the model is not text-conditional (its folder is not a StableDiffusionPipeline); use --class "
                        + "for a class-conditional model");
            }
            int n = numImages == null ? 64 : numImages;
            if (n < 1) {
                throw usage(spec, "-n must be at least 1, got " + n);
            }
            settings = settings.withN(n);
        }
        String out = job.outDir.toAbsolutePath().toString();
        SparkSampling.Result r = SparkRunner.run("diffusion4j spark-sample", job.master, parquet ? settings : settings.withOutDir(out), requests,
                job.partitions, parquet ? out : null);
        PrintWriter o = spec.commandLine().getOut();
        printRun(o, settings, r, job.master);
        if (parquet) {
            o.printf(Locale.ROOT, "wrote the Parquet dataset %s: %d rows (index, seed, prompt, class, class_name, sampler, steps, guidance, "
                    + "settings, png)%n", job.outDir, r.totals().images());
        } else if (requests != null) {
            o.printf(Locale.ROOT, "wrote %d files %s/%s<index>.png for the %d requests of %s%n", r.totals().files(), job.outDir,
                    SparkSampling.PREFIX, requests.size(), text.requests);
        } else {
            o.printf(Locale.ROOT, "wrote %d files %s/%s%05d.png … %s%05d.png%n", r.totals().files(), job.outDir, SparkSampling.PREFIX, 0,
                    SparkSampling.PREFIX, settings.n() - 1);
        }
        o.flush();
        return 0;
    }

    /** The settings checked against the model, and what the model takes (prompts or classes). */
    record Checked(SparkSettings settings, RequestTable.Model model) {}

    /**
     * The job's settings from the command's options (n = 1 until the command sets it), checked on the driver against the
     * model (sampler, classes or text, guidance) so that a mistake is a usage error here, not a failed task.
     */
    static Checked check(CommandSpec spec, SparkJobOptions job, SamplingOptions.Choice choice, SamplingOptions.Overrides overrides,
            SamplingOptions.Conditioning conditioning) throws IOException {
        if (!SparkRunner.sparkAvailable()) {
            throw new IOException("Apache Spark is not on the class path; run through ./diffusion4j (which adds the Spark jars "
                    + "for spark-* commands) or spark-submit");
        }
        if (job.batch < 1) {
            throw usage(spec, "--batch must be at least 1, got " + job.batch);
        }
        if (job.partitions < 0) {
            throw usage(spec, "--partitions must be >= 0 (0: Spark's default), got " + job.partitions);
        }
        job.shareThreadsAmongLocalTasks();
        Path dir = ModelLoading.modelDir(job.model).toAbsolutePath();
        choice.create(DiffusionPipeline.readScheduler(dir), overrides);
        try (DiffusionPipeline pipe = DiffusionPipeline.load(dir)) {
            SparkSettings s = SparkSettings.of(dir.toString(), 1, job.seed).withSampler(choice.sampler, choice.steps).withBatch(job.batch)
                    .withOverrides(overrides.eta, overrides.spacing, overrides.variance, overrides.clipSample, overrides.karras);
            if (pipe.isText()) {
                if (conditioning.classes != null) {
                    throw usage(spec, "--class: the model is text-conditional; give --prompt instead");
                }
                Double w = null;
                if (conditioning.guidance != null) {
                    if (conditioning.guidance.size() != 1 || conditioning.guidance.get(0) == null || !(conditioning.guidance.get(0) >= 0)
                            || conditioning.guidance.get(0).isInfinite()) {
                        throw usage(spec, "--guidance takes one finite scale >= 0 here, got " + conditioning.guidance);
                    }
                    w = conditioning.guidance.get(0);
                }
                s = s.withGuidance(w == null ? pipe.defaultGuidance() : w);
                pipe.check(s.request().withPrompts(List.of("a check")));
            } else {
                ModelClasses classes = pipe.classes();
                long[] requested = conditioning.requested(classes);
                double scale = conditioning.scale(classes);
                s = s.withClasses(requested, classes.conditional() ? scale : null);
                pipe.check(s.request());
            }
            return new Checked(s, RequestTable.Model.of(pipe));
        } catch (IllegalArgumentException e) {
            throw usage(spec, e.getMessage());
        }
    }

    /** The run's line: images, model, sampler, where and how fast. */
    static void printRun(PrintWriter o, SparkSettings s, SparkSampling.Result r, String master) {
        o.printf(Locale.ROOT, "%d images from %s with %s, seed %d, on %s: %d batches of %d in %d partitions, %.1f s (%.2f images/s)%n",
                r.totals().images(), s.model(), s.sampler() == null ? DiffusionPipeline.DEFAULT_SAMPLER : s.sampler(), s.seed(),
                SparkRunner.masterOf(master), r.slices(), s.batch(), r.partitionCount(), r.seconds(), r.imagesPerSecond());
        o.printf(Locale.ROOT, "tasks: %d (hosts %s), model loads %.1f s, sampling and writing %.1f s, scoring %.1f s (summed over tasks)%n",
                r.totals().partitions(), String.join(",", r.totals().hosts()), r.totals().loadSeconds(), r.totals().sampleSeconds(),
                r.totals().scoreSeconds());
    }

    static ParameterException usage(CommandSpec spec, String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
