package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.diffusion4j.data.CaptionedImages;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.train.Checkpointing;
import org.diffusion4j.train.DiffusionTrainer;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.TrainListener;
import org.diffusion4j.train.TrainProgress;
import org.diffusion4j.train.TrainableModel;
import org.diffusion4j.train.Training;
import org.diffusion4j.train.TrainingData;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusion4j train}: trains a U-Net noise predictor (Algorithm 1 of Ho et al. 2020) and
 * writes a diffusers model folder with sealed training checkpoints; {@code --resume} continues from
 * the newest good checkpoint bit-identically.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {"Train a DDPM noise predictor (U-Net) on an image data set.",
            "Writes a diffusers model folder (model_index.json, unet/, scheduler/) plus training/step-N checkpoints,",
            "metrics.jsonl and loss.png. Re-running with --resume continues from the newest good checkpoint."},
        footer = {"", "Examples:",
            "  diffusion4j train --config tiny --out runs/tiny --minutes 2",
            "  diffusion4j train --data fashion-mnist --config fashion-mnist --out runs/fm --minutes 60",
            "  diffusion4j train --out runs/fm --resume --minutes 30"})
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "NAME|FOLDER",
            description = "A named data set (fashion-mnist) or a folder of PNG/JPEG images (default: the config's dataset).")
    String data;

    @Option(names = "--config", paramLabel = "PRESET|FILE",
            description = "A preset (tiny, fashion-mnist, fashion-mnist-cond) or a training config JSON file (default: fashion-mnist; "
                    + "with --resume: the checkpoint's).")
    String config;

    @Option(names = "--out", required = true, paramLabel = "FOLDER", description = "The run / model folder.")
    Path out;

    @ArgGroup(exclusive = false, multiplicity = "1")
    Budget budget;

    /** At least one of --minutes and --steps; with both, whichever comes first. */
    static final class Budget {
        @Option(names = "--minutes", paramLabel = "M", description = "Train for this many minutes (this session).")
        Double minutes;

        @Option(names = "--steps", paramLabel = "N", description = "Train until N steps in total are done.")
        Long steps;
    }

    @Option(names = "--resume", description = "Continue from the newest good checkpoint in --out (start fresh if there is none).")
    boolean resume;

    @Option(names = "--seed", paramLabel = "S", description = "Seed for initialisation, data order, t, noise and dropout.")
    Long seed;

    @Option(names = "--batch", paramLabel = "B", description = "Batch size.")
    Integer batch;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak learning rate.")
    Double lr;

    @Option(names = "--text-encoder", paramLabel = "DIR",
            description = "Text-conditional configs (shapes-t2i): the folder train-clip wrote (tokenizer/, text_encoder/), kept frozen.")
    Path textEncoder;

    @Option(names = "--text-encoder-training", paramLabel = "MODE",
            description = "Text-conditional configs: frozen (default: the --text-encoder as it is), joint (its architecture from random "
                    + "weights, trained with the U-Net) or bag_of_words (token embeddings only, trained with the U-Net).")
    String textEncoderTraining;

    @Option(names = "--vae", paramLabel = "DIR",
            description = "Latent diffusion (shapes-ldm): the folder train-vae wrote; the U-Net learns scaling_factor * its latents.")
    Path vae;

    @Option(names = "--init-from", paramLabel = "DIR",
            description = "Fine-tune: start the U-Net from this model folder's unet/ weights (same architecture) instead of random "
                    + "ones; a fresh optimizer, warm-up and step count. Config key init_from.")
    Path initFrom;

    @Option(names = "--no-progress", description = "Print a line per log interval instead of a progress bar.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        PrintStream err = System.err;
        ModelFolder folder = new ModelFolder(out);
        long targetStep = budget.steps != null ? budget.steps : Long.MAX_VALUE;
        Duration time = budget.minutes != null ? Duration.ofMillis(Math.round(budget.minutes * 60_000)) : null;
        if (targetStep < 1 || (time != null && time.isNegative())) {
            throw new IllegalArgumentException("--steps must be >= 1 and --minutes >= 0");
        }
        List<String> warnings = new ArrayList<>();
        TrainConfig cfg = chooseConfig(folder, warnings);
        warnings.forEach(w -> err.println("diffusion4j: warning: " + w));

        // Everything is validated before anything is written.
        ImageDataset dataset = Training.openDataset(cfg);
        TrainingData batches = cfg.isLatent() ? null : Training.batches(cfg, dataset);
        if (cfg.hardNegativeWeight() > 0 && !(dataset instanceof CaptionedImages c && Shapes.hasTwoObjectCaption(c))) {
            err.println("diffusion4j: warning: no caption of " + dataset.name() + " has the two-object form (\"a red circle above a "
                    + "blue square\"), so hard_negative_weight adds nothing");
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            if (batches == null) {
                batches = Training.data(cfg, dataset, manager);
            }
            TrainableModel model = Training.newTrainable(cfg, manager);
            Listener listener = new Listener(err, noProgress, targetStep, time);
            DiffusionTrainer trainer = DiffusionTrainer.builder(cfg, model, batches).optOutput(folder)
                    .optListener(listener).build();
            err.printf(Locale.ROOT, "training %,d parameters on %s (%,d images, %dx%dx%d), batch %d, into %s%n",
                    model.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum(), dataset.name(), dataset.size(), dataset.channels(), dataset.height(),
                    dataset.width(), cfg.batchSize(), folder.root());
            if (resume && !trainer.resume()) {
                err.println("no usable checkpoint in " + folder.trainingDir() + "; starting a new run");
            }
            if (trainer.step() >= targetStep) {
                err.println("already at step " + trainer.step() + " >= --steps " + targetStep + "; nothing to do");
                return 0;
            }
            CountDownLatch done = new CountDownLatch(1);
            Thread hook = new Thread(() -> {
                trainer.requestStop();
                try {
                    done.await(120, TimeUnit.SECONDS); // let the final checkpoint finish
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            }, "diffusion4j-train-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            DiffusionTrainer.TrainResult result;
            try {
                listener.start(trainer.step());
                result = trainer.train(targetStep, time);
            } finally {
                listener.close();
                done.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the JVM is exiting because of Ctrl-C; the hook is waiting for us
                }
            }
            System.out.printf(Locale.ROOT, "trained steps %d..%d (%.1f images/s), loss %.4f, %d skipped; model folder %s"
                    + "%nlast checkpoint %s%n", result.firstStep(), result.lastStep(), result.imagesPerSecond(),
                    result.finalLoss(), result.skippedSteps(), folder.root(), result.lastCheckpoint());
        }
        return 0;
    }

    /** The config: on resume the checkpoint's (options may not change it), else --config with overrides. */
    private TrainConfig chooseConfig(ModelFolder folder, List<String> warnings) throws Exception {
        Optional<TrainConfig> saved = DiffusionTrainer.checkpointConfig(folder, warnings::add);
        if (resume && saved.isPresent()) {
            TrainConfig c = saved.get();
            List<String> changed = new ArrayList<>();
            if (config != null && !TrainConfig.resolve(config).model().equals(c.model())) {
                changed.add("--config");
            }
            if (seed != null && seed != c.seed()) {
                changed.add("--seed");
            }
            if (batch != null && batch != c.batchSize()) {
                changed.add("--batch");
            }
            if (lr != null && lr != c.learningRate()) {
                changed.add("--lr");
            }
            if (data != null && !data.equals(c.dataset())) {
                changed.add("--data");
            }
            if (!changed.isEmpty()) {
                throw new IllegalArgumentException(String.join(", ", changed) + " differ from the run being resumed in "
                        + folder.root() + "; a resumed run keeps its config (see " + folder.trainingDir()
                        + "/step-*/train_config.json); drop those options or train into a new --out folder");
            }
            return c;
        }
        if (!resume && hasCheckpoints(folder)) {
            throw new IllegalArgumentException(folder.root() + " already holds a training run (" + folder.trainingDir()
                    + "); add --resume to continue it, or choose another --out folder");
        }
        TrainConfig.Builder b = TrainConfig.resolve(config == null ? "fashion-mnist" : config).toBuilder();
        if (data != null) {
            b.optDataset(data);
        }
        if (seed != null) {
            b.optSeed(seed);
        }
        if (batch != null) {
            b.optBatchSize(batch);
        }
        if (lr != null) {
            b.optLearningRate(lr);
        }
        if (textEncoder != null) {
            b.set(TrainConfig.Key.TEXT_ENCODER, textEncoder.toString());
        }
        if (vae != null) {
            b.set(TrainConfig.Key.VAE, vae.toString());
        }
        if (initFrom != null) {
            b.set(TrainConfig.Key.INIT_FROM, initFrom.toString());
        }
        if (textEncoderTraining != null) {
            try {
                b.set(TrainConfig.Key.TEXT_ENCODER_TRAINING, TrainConfig.TextEncoderTraining.parse(textEncoderTraining));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--text-encoder-training " + textEncoderTraining + ": " + e.getMessage());
            }
        }
        return b.build();
    }

    private static boolean hasCheckpoints(ModelFolder folder) throws Exception {
        return Files.isDirectory(folder.trainingDir()) && !Checkpointing.of(folder).list().isEmpty();
    }

    /** Renders progress on stderr: a progress bar (steps, or seconds for a time budget) with loss, images/s, ETA. */
    static final class Listener implements TrainListener {
        private final PrintStream err;
        private final boolean plain;
        private final long targetStep;
        private final Duration time;
        private ProgressBar bar;
        private long startNanos;
        private long lastPrint;

        Listener(PrintStream err, boolean plain, long targetStep, Duration time) {
            this.err = err;
            this.plain = plain;
            this.targetStep = targetStep;
            this.time = time;
        }

        void start(long step) {
            startNanos = System.nanoTime();
            if (plain) {
                return;
            }
            boolean bySteps = targetStep != Long.MAX_VALUE;
            bar = new ProgressBarBuilder().setTaskName("train")
                    .setInitialMax(bySteps ? targetStep : time.toSeconds())
                    .setUnit(bySteps ? " steps" : " s", 1)
                    .startsFrom(bySteps ? step : 0, Duration.ZERO)
                    .setStyle(ProgressBarStyle.ASCII)
                    .hideEta()
                    .setConsumer(new ConsoleProgressBarConsumer(err))
                    .setUpdateIntervalMillis(500)
                    .build();
        }

        @Override
        public void onStep(TrainProgress p) {
            String eta = p.eta() == null ? "?" : format(p.eta());
            // With a step target the bar already shows the step; with a time budget it counts seconds.
            String msg = String.format(Locale.ROOT, "%sloss %.4f %.1f img/s ETA %s%s",
                    bar != null && targetStep != Long.MAX_VALUE ? "" : "step " + p.step() + " ", p.smoothedLoss(),
                    p.imagesPerSecond(), eta, p.skippedSteps() > 0 ? " skipped " + p.skippedSteps() : "");
            if (bar != null) {
                bar.setExtraMessage(msg);
                if (targetStep != Long.MAX_VALUE) {
                    bar.stepTo(p.step());
                } else {
                    bar.stepTo(Math.min(time.toSeconds(), (System.nanoTime() - startNanos) / 1_000_000_000L));
                }
            } else if (System.nanoTime() - lastPrint > 10_000_000_000L) {
                lastPrint = System.nanoTime();
                err.println(msg);
            }
        }

        @Override
        public void onMessage(String message) {
            err.println();
            err.println(message);
        }

        @Override
        public void onCheckpoint(long step, Path dir) {
            if (bar == null) {
                err.println("checkpoint " + dir);
            }
        }

        void close() {
            if (bar != null) {
                bar.close();
            }
        }

        private static String format(Duration d) {
            long s = d.toSeconds();
            return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                    : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
        }
    }
}
