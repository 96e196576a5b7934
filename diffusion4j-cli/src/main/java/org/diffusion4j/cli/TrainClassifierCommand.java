package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.eval.ClassifierTrainer;
import org.diffusion4j.eval.FeatureStats;
import org.diffusion4j.nn.FashionClassifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j train-classifier}: (re)trains the feature classifier of the sample-quality
 * metrics on Fashion-MNIST and recomputes its test-set feature statistics — the command-line face of
 * {@link ClassifierTrainer#main} and {@link FeatureStats#main}, which do the work.
 */
@Command(name = "train-classifier", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the Fashion-MNIST feature classifier used by eval and bench-samplers.",
            "",
            "  diffusion4j train-classifier --epochs 10    # as the shipped model: about 27 min on one thread",
            "  diffusion4j eval --classifier runs/fashion-classifier …   # use it",
            ""})
final class TrainClassifierCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "runs/fashion-classifier", paramLabel = "DIR",
            description = "Output folder: model.safetensors, config.json, training.json, " + ModelLoading.TEST_STATS_FILE
                    + " (default: ${DEFAULT-VALUE}; --out models/fashion-classifier replaces the shipped one).")
    Path out;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of the Fashion-MNIST .gz IDX files (default: the installed data set).")
    Path data;

    @Option(names = "--epochs", paramLabel = "N", description = "Epochs (default: 12).")
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

    @Option(names = "--dropout", paramLabel = "P", description = "Dropout before the last layer, in [0, 1) (default: 0.5).")
    Double dropout;

    @Option(names = "--no-stats", description = "Do not recompute the test-set feature statistics.")
    boolean noStats;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        List<String> args = new ArrayList<>(List.of("--out", out.toString()));
        if (data != null) {
            args.addAll(List.of("--data", data.toString()));
        }
        positive("--epochs", epochs, args);
        positive("--max-steps", maxSteps, args);
        positive("--batch", batch, args);
        positive("--hidden", hidden, args);
        if (lr != null) {
            if (!(lr > 0)) {
                throw usage("--lr must be positive, got " + lr);
            }
            args.addAll(List.of("--lr", Double.toString(lr)));
        }
        if (dropout != null) {
            if (!(dropout >= 0 && dropout < 1)) {
                throw usage("--dropout must be in [0, 1), got " + dropout);
            }
            args.addAll(List.of("--dropout", Double.toString(dropout)));
        }
        if (channels != null) {
            if (channels.length != 2 || channels[0] < 1 || channels[1] < 1) {
                throw usage("--channels takes two positive widths C1,C2, e.g. 16,32");
            }
            args.addAll(List.of("--channels1", Integer.toString(channels[0]), "--channels2", Integer.toString(channels[1])));
        }
        if (seed != null) {
            args.addAll(List.of("--seed", Long.toString(seed)));
        }
        if (noFlip) {
            args.add("--no-flip");
        }
        ClassifierTrainer.main(args.toArray(String[]::new));
        if (!noStats) {
            List<String> stats = new ArrayList<>(List.of("--model", out.toString(), "--split", "test",
                    "--out", out.resolve(ModelLoading.TEST_STATS_FILE).toString()));
            if (data != null) {
                stats.addAll(List.of("--data", data.toString()));
            }
            FeatureStats.main(stats.toArray(String[]::new));
        }
        spec.commandLine().getOut().printf(Locale.ROOT, "classifier in %s (%s, %s)%n", out, FashionClassifier.WEIGHTS_FILE,
                noStats ? "statistics not recomputed" : ModelLoading.TEST_STATS_FILE);
        return 0;
    }

    private void positive(String name, Integer value, List<String> args) {
        if (value == null) {
            return;
        }
        if (value < 1) {
            throw usage(name + " must be at least 1, got " + value);
        }
        args.addAll(List.of(name, Integer.toString(value)));
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
