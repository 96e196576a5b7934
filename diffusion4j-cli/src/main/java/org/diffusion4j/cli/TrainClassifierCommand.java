package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.data.Split;
import org.diffusion4j.eval.classifier.ClassifierTrainer;
import org.diffusion4j.eval.classifier.FashionClassifier;
import org.diffusion4j.eval.classifier.ReferenceStats;
import org.diffusion4j.pipeline.Evaluation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j train-classifier}: (re)trains the feature classifier of the sample-quality
 * metrics on Fashion-MNIST and recomputes its test-set feature statistics — the command-line face of
 * {@link ClassifierTrainer#trainAndSave} and {@link ReferenceStats#write}, which do the work.
 */
@Command(name = "train-classifier", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the Fashion-MNIST feature classifier used by eval and bench-samplers.",
            "",
            "  diffusion4j train-classifier --epochs 10    # as the shipped model: about 27 min on one thread",
            "  diffusion4j eval --classifier runs/fashion-classifier …   # use it",
            ""})
final class TrainClassifierCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "runs/fashion-classifier", paramLabel = "DIR",
            description = "Output folder: model.safetensors, config.json, training.json, " + Evaluation.TEST_STATS_FILE
                    + " (default: ${DEFAULT-VALUE}; --out models/fashion-classifier replaces the shipped one).")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of the Fashion-MNIST .gz IDX files (default: the installed data set).")
    Path data;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default: 14).")
    Integer epochs;

    @Option(names = "--max-steps", paramLabel = "N", description = "Stop after N optimiser steps (default: no limit).")
    Integer maxSteps;

    @Option(names = "--batch", paramLabel = "B", description = "Batch size (default: 128).")
    Integer batch;

    @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate of the cosine schedule (default: 1e-3).")
    Double lr;

    @Option(names = "--seed", paramLabel = "S", description = "Seed (default: 42).")
    Long seed;

    @Option(names = "--no-flip", description = "No random horizontal flips.")
    boolean noFlip;

    @Option(names = "--channels", split = ",", paramLabel = "C1,C2",
            description = "Conv widths of the two stages (default: 16,32).")
    int[] channels;

    @Option(names = "--hidden", paramLabel = "H", description = "Feature dimension, fc1 width (default: 256).")
    Integer hidden;

    @Option(names = "--dropout", paramLabel = "P", description = "Dropout before the last layer, in [0, 1) (default: 0.3).")
    Double dropout;

    @Option(names = "--no-stats", description = "Do not recompute the test-set feature statistics.")
    boolean noStats;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        ClassifierTrainer.Options d = ClassifierTrainer.Options.DEFAULT;
        FashionClassifier.Config c = FashionClassifier.Config.DEFAULT;
        if (lr != null && !(lr > 0)) {
            throw usage("--lr must be positive, got " + lr);
        }
        if (dropout != null && !(dropout >= 0 && dropout < 1)) {
            throw usage("--dropout must be in [0, 1), got " + dropout);
        }
        if (channels != null && (channels.length != 2 || channels[0] < 1 || channels[1] < 1)) {
            throw usage("--channels takes two positive widths C1,C2, e.g. 16,32");
        }
        ClassifierTrainer.Options options = new ClassifierTrainer.Options(positive("--epochs", epochs, d.epochs()),
                positive("--batch", batch, d.batchSize()), lr == null ? d.learningRate() : lr.floatValue(),
                d.horizontalFlip() && !noFlip, seed == null ? d.seed() : seed, positive("--max-steps", maxSteps, d.maxSteps()));
        FashionClassifier.Config config = new FashionClassifier.Config(channels == null ? c.channels1() : channels[0],
                channels == null ? c.channels2() : channels[1], positive("--hidden", hidden, c.hidden()), c.numClasses(),
                dropout == null ? c.dropout() : dropout.floatValue());
        Path dataDir = data != null ? data : ClassifierTrainer.FASHION_MNIST_DIR;
        String command = "diffusion4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
        ClassifierTrainer.trainAndSave(dataDir, out, options, config, command, System.out);
        if (!noStats) {
            ReferenceStats.write(out, dataDir, Split.TEST, out.resolve(Evaluation.TEST_STATS_FILE), System.out);
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "classifier in %s (%s, %s)%n", out, FashionClassifier.WEIGHTS_FILE,
                noStats ? "statistics not recomputed" : Evaluation.TEST_STATS_FILE);
        return 0;
    }

    private int positive(String name, Integer value, int fallback) {
        if (value == null) {
            return fallback;
        }
        if (value < 1) {
            throw usage(name + " must be at least 1, got " + value);
        }
        return value;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
