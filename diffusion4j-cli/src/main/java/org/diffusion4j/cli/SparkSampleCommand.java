package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.ModelClasses;
import org.diffusion4j.pipeline.SampleRequest;
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
 * and writes its images; image i is the same PNG, byte for byte, as {@code sample} writes for the same seed.
 */
@Command(name = "spark-sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate images on Apache Spark: the same PNG bytes as 'sample -n N --out-dir DIR' for the same seed.",
            "",
            "  diffusion4j spark-sample --master local[2] -n 1000 --out-dir out/",
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

    @Option(names = {"-n", "--num-images"}, defaultValue = "64", paramLabel = "N",
            description = "Number of images (default: ${DEFAULT-VALUE}); a class-conditional model gives them the classes in turn.")
    int numImages;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (job.outDir == null) {
            throw usage(spec, "--out-dir DIR is needed: spark-sample writes one PNG per image (on a cluster, to shared storage)");
        }
        SparkSettings settings = settings(spec, job, choice, overrides, conditioning, numImages).withOutDir(job.outDir.toAbsolutePath().toString());
        SparkSampling.Result r = SparkRunner.run("diffusion4j spark-sample", job.master, settings, job.partitions);
        PrintWriter o = spec.commandLine().getOut();
        printRun(o, settings, r, job.master);
        o.printf(Locale.ROOT, "wrote %d files %s/%s%05d.png … %s%05d.png%n", r.totals().files(), job.outDir, SparkSampling.PREFIX, 0,
                SparkSampling.PREFIX, settings.n() - 1);
        o.flush();
        return 0;
    }

    /**
     * The job's settings from the command's options, checked on the driver against the model (sampler, classes,
     * guidance) so that a mistake is a usage error here, not a failed task.
     */
    static SparkSettings settings(CommandSpec spec, SparkJobOptions job, SamplingOptions.Choice choice, SamplingOptions.Overrides overrides,
            SamplingOptions.Conditioning conditioning, int n) throws IOException {
        if (!SparkRunner.sparkAvailable()) {
            throw new IOException("Apache Spark is not on the class path; run through ./diffusion4j (which adds the Spark jars "
                    + "for spark-* commands) or spark-submit");
        }
        if (n < 1) {
            throw usage(spec, "-n must be at least 1, got " + n);
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
            if (pipe.isText()) {
                throw usage(spec, dir + " is a text-conditional model; spark-sample takes unconditional and class-conditional models for now");
            }
            ModelClasses classes = pipe.classes();
            long[] requested = conditioning.requested(classes);
            double scale = conditioning.scale(classes);
            Double w = classes.conditional() ? scale : null;
            SparkSettings s = SparkSettings.of(dir.toString(), n, job.seed).withSampler(choice.sampler, choice.steps).withBatch(job.batch)
                    .withOverrides(overrides.eta, overrides.spacing, overrides.variance, overrides.clipSample, overrides.karras)
                    .withClasses(requested, w);
            SampleRequest request = s.request();
            pipe.condition(request);
            pipe.sampler(request);
            return s;
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
