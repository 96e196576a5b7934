package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.spark.SparkSampling;
import org.diffusion4j.spark.SparkSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j spark-eval}: sample n images on Apache Spark and score them where they are made: each task
 * returns its images' feature sums (n, Σx, Σxxᵀ, exact) and class-prediction counts, merged on the driver into
 * the Fréchet distance against the Fashion-MNIST test statistics and the class accuracy.
 */
@Command(name = "spark-eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"FD (and class accuracy) of a model's samples, sampled and scored on Apache Spark.",
            "",
            "  diffusion4j spark-eval --master local[2] -n 10000",
            "  diffusion4j spark-eval --model models/fashion-mnist-ddpm-uncond -n 50000 --out-dir fid/",
            ""})
final class SparkEvalCommand implements Callable<Integer> {

    @Mixin
    SparkJobOptions job;

    @Mixin
    SamplingOptions.Choice choice;

    @Mixin
    SamplingOptions.Overrides overrides;

    @Mixin
    SamplingOptions.Conditioning conditioning;

    @Option(names = {"-n", "--num-images"}, defaultValue = "1000", paramLabel = "N", description = "Images to sample and score (default: ${DEFAULT-VALUE}).")
    int numImages;

    @Option(names = "--classifier", paramLabel = "DIR",
            description = "Feature-classifier folder with the reference statistics (default: <repo>/" + ModelLoading.DEFAULT_CLASSIFIER + ").")
    Path classifier;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        SparkSettings settings = SparkSampleCommand.settings(spec, job, choice, overrides, conditioning, numImages);
        if (numImages < 2) {
            throw SparkSampleCommand.usage(spec, "-n must be at least 2 for a covariance, got " + numImages);
        }
        Path classifierDir = ModelLoading.classifierDir(classifier).toAbsolutePath();
        settings = settings.withClassifier(classifierDir.toString());
        if (job.outDir != null) {
            settings = settings.withOutDir(job.outDir.toAbsolutePath().toString());
        }
        SparkSampling.Result r = SparkRunner.run("diffusion4j spark-eval", job.master, settings, job.partitions);
        PrintWriter o = spec.commandLine().getOut();
        SparkSampleCommand.printRun(o, settings, r, job.master);
        o.printf(Locale.ROOT, "FD %.4f (%d images against the Fashion-MNIST test feature statistics of %s, %d images, %d-D; "
                + "feature sums merged exactly from %d partitions)%n", r.fd(), r.features().count(), classifierDir, r.reference().count(),
                r.features().dim(), r.partitionCount());
        ClassAccuracy.Result accuracy = r.accuracy();
        if (accuracy != null) {
            o.println("class accuracy " + ClassAccuracy.describe(accuracy) + " (the classifier's prediction equals the requested class)");
        }
        if (job.outDir != null) {
            o.printf(Locale.ROOT, "wrote %d files %s/%s%05d.png …%n", r.totals().files(), job.outDir, SparkSampling.PREFIX, 0);
        }
        o.flush();
        return 0;
    }
}
