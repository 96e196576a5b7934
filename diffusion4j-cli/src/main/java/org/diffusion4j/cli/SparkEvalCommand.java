package org.diffusion4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.pipeline.ShapesEvaluation;
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
 * the Fréchet distance against the Fashion-MNIST test statistics and the class accuracy. For a text model, the
 * images of {@code eval}'s shapes prompts, read by the shapes analyzer (and CLIP-scored with {@code --clip}) on the
 * executors, the counts merged on the driver.
 */
@Command(name = "spark-eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"FD (and class accuracy) of a model's samples, sampled and scored on Apache Spark; for a text model, the shapes "
                + "analyzer's accuracies and the CLIP score, as 'eval'.",
            "",
            "  diffusion4j spark-eval --master local[2] -n 10000",
            "  diffusion4j spark-eval --model models/fashion-mnist-ddpm-uncond -n 50000 --out-dir fid/",
            "  diffusion4j spark-eval --model shapes-t2i/ --clip clip/ -n 4",
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

    @Option(names = {"-n", "--num-images"}, paramLabel = "N",
            description = "Images to sample and score (default: 1000); a text model: images per shapes evaluation prompt (default: 4), as 'eval'.")
    Integer numImages;

    @Option(names = "--classifier", paramLabel = "DIR",
            description = "Feature-classifier folder with the reference statistics (default: <repo>/" + ModelLoading.DEFAULT_CLASSIFIER + ").")
    Path classifier;

    @Option(names = "--clip", paramLabel = "DIR",
            description = "Text models: a train-clip folder (at a path every executor can read); adds the CLIP score, as 'eval --clip'.")
    Path clip;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        SparkSampleCommand.Checked c = SparkSampleCommand.check(spec, job, choice, overrides, conditioning);
        if (c.model().text()) {
            return evalText(c.settings());
        }
        if (clip != null) {
            throw SparkSampleCommand.usage(spec, "--clip scores text-conditional models; this model is not one (FD and class accuracy "
                    + "use --classifier)");
        }
        int n = numImages == null ? 1000 : numImages;
        if (n < 2) {
            throw SparkSampleCommand.usage(spec, "-n must be at least 2 for a covariance, got " + n);
        }
        SparkSettings settings = c.settings().withN(n);
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

    /** A text model of the shapes data: -n images per evaluation prompt (42 one-object, 42 two-object), as 'eval' samples them. */
    private int evalText(SparkSettings base) throws IOException {
        int perPrompt = numImages == null ? 4 : numImages;
        if (perPrompt < 1) {
            throw SparkSampleCommand.usage(spec, "-n (images per prompt) must be at least 1, got " + perPrompt);
        }
        List<String> perImage = ShapesEvaluation.promptsPerImage(perPrompt, 42);
        SparkSettings settings = base.withN(perImage.size()).withPrompts(perImage, null)
                .withShapesEvaluation(clip == null ? null : clip.toAbsolutePath().toString());
        if (job.outDir != null) {
            settings = settings.withOutDir(job.outDir.toAbsolutePath().toString());
        }
        SparkSampling.Result r = SparkRunner.run("diffusion4j spark-eval", job.master, settings, job.partitions);
        ShapesEvaluation.Scores s = r.shapes();
        ShapesEvaluation.Counts k = r.totals().shapesCounts();
        PrintWriter o = spec.commandLine().getOut();
        SparkSampleCommand.printRun(o, settings, r, job.master);
        o.printf(Locale.ROOT, "%d images per prompt of the 84 shapes evaluation prompts (42 one-object, 6 of them held out; 42 two-object), "
                + "read by the shapes analyzer on the executors; counts merged from %d partitions%n", perPrompt, r.partitionCount());
        o.println();
        o.print(ShapesTable.header(clip != null));
        o.print(ShapesTable.row(settings.guidance() + (conditioning.guidance == null ? " (the model's default)" : ""), s, clip != null));
        o.println();
        o.printf(Locale.ROOT, "counts: one object %d/%d right (size %d), two objects %d/%d (parts %d, bound %d), held out %d/%d%s%n",
                k.oneObjectRight(), k.oneObject(), k.sizeRight(), k.twoObjectRight(), k.twoObject(), k.twoObjectParts(), k.twoObjectBound(),
                k.heldOutRight(), k.heldOut(),
                clip == null ? "" : String.format(Locale.ROOT, "; CLIP-score sum %.6f over %d images (exact), mean %.6f", r.totals().clipSum(),
                        k.images(), s.clipScore()));
        o.flush();
        return 0;
    }
}
