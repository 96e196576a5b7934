package org.diffusion4j.eval.classifier;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.IdxDataset;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.io.AtomicFiles;

/**
 * Trains {@link FashionClassifier} on labelled 28×28 images with Adam (Kingma &amp; Ba 2015) and a
 * cosine learning-rate decay, seeded, and measures test accuracy.
 *
 * <p>Every step runs in its own sub-manager; only parameters and Adam moments live in the model's
 * manager. {@link #trainAndSave} trains the shipped model: {@code diffusion4j train-classifier}.
 */
public final class ClassifierTrainer {

    /** Labelled images: float32 (N, 1, 28, 28) in [-1, 1] and labels in [0, numClasses). */
    public record Data(NDArray images, int[] labels) {
        public Data {
            if (images.getShape().get(0) != labels.length) {
                throw new IllegalArgumentException("Data: " + images.getShape().get(0) + " images but "
                        + labels.length + " labels");
            }
        }

        public int size() {
            return labels.length;
        }

        /**
         * Converts a labelled data set to float32 NCHW in [-1, 1] (x/127.5 − 1) in {@code manager}.
         */
        public static Data of(ImageDataset dataset, NDManager manager) {
            if (!dataset.hasLabels()) {
                throw new IllegalArgumentException(dataset.name() + ": the classifier needs labelled images");
            }
            byte[] raw = dataset.pixels();
            float[] pixels = new float[dataset.size() * dataset.imageBytes()];
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] = (raw[i] & 0xff) / 127.5f - 1f;
            }
            int[] labels = new int[dataset.size()];
            for (int i = 0; i < labels.length; i++) {
                labels[i] = dataset.label(i);
            }
            NDArray images = manager.create(pixels,
                    new Shape(dataset.size(), dataset.channels(), dataset.height(), dataset.width()));
            return new Data(images, labels);
        }

        /**
         * Loads a Fashion-MNIST split from the gzipped IDX files in {@code dir} (e.g.
         * {@link #FASHION_MNIST_DIR}) into {@code manager}.
         */
        public static Data fashionMnist(Path dir, Split split, NDManager manager) throws IOException {
            IdxDataset ds = IdxDataset.open("fashion-mnist-" + split,
                    dir.resolve(split.idxPrefix() + "-images-idx3-ubyte.gz"),
                    dir.resolve(split.idxPrefix() + "-labels-idx1-ubyte.gz"), Datasets.FASHION_MNIST_CLASSES);
            return of(ds, manager);
        }
    }

    /** Where Fashion-MNIST is installed by default ({@code <datasets root>/fashion-mnist}). */
    public static final Path FASHION_MNIST_DIR = Datasets.root().resolve("fashion-mnist");

    /**
     * Hyper-parameters; {@link #DEFAULT} trains the shipped model (14 epochs of batch 128, Adam 1e-3
     * cosine-decayed to 1e-5, no flips, seed 42). Random horizontal flips are available but did
     * not help within a short budget.
     */
    public record Options(int epochs, int batchSize, float learningRate, boolean horizontalFlip,
                          long seed, int maxSteps) {
        public static final Options DEFAULT = new Options(14, 128, 1e-3f, false, 42L, Integer.MAX_VALUE);

        public Options {
            if (epochs <= 0 || batchSize <= 0 || !(learningRate > 0) || maxSteps <= 0) {
                throw new IllegalArgumentException("ClassifierTrainer.Options: epochs, batchSize,"
                        + " learningRate and maxSteps must be positive, got epochs=" + epochs + ", batchSize="
                        + batchSize + ", learningRate=" + learningRate + ", maxSteps=" + maxSteps);
            }
        }

        public Options withEpochs(int e) {
            return new Options(e, batchSize, learningRate, horizontalFlip, seed, maxSteps);
        }

        public Options withMaxSteps(int s) {
            return new Options(epochs, batchSize, learningRate, horizontalFlip, seed, s);
        }
    }

    /** Progress callback, called after every step with the mean loss of that step. */
    public interface Listener {
        void onStep(int step, int totalSteps, int epoch, float loss);
    }

    /** Outcome: per-step losses and, when a test set was given, its accuracy. */
    public record Result(int steps, float[] losses, double testAccuracy, long trainMillis) {}

    private ClassifierTrainer() {}

    /**
     * Trains {@code model} (already initialised in {@code manager}) on {@code train}, then evaluates
     * on {@code test} when it is not null.
     */
    public static Result train(FashionClassifier model, NDManager manager, Data train, Data test,
                               Options options, Listener listener) {
        Engine.getInstance().setRandomSeed((int) options.seed());
        int n = train.size();
        int stepsPerEpoch = n / options.batchSize();
        int totalSteps = (int) Math.min((long) stepsPerEpoch * options.epochs(), options.maxSteps());
        Optimizer adam = Adam.builder().optLearningRateTracker(cosine(options.learningRate(), totalSteps))
                .build();
        List<Parameter> trainable = new ArrayList<>();
        for (Parameter p : model.getParameters().values()) {
            if (p.requiresGradient()) {
                trainable.add(p);
            }
        }
        Loss loss = Loss.softmaxCrossEntropyLoss();
        Random rng = new Random(options.seed());
        float[] losses = new float[totalSteps];
        long start = System.nanoTime();
        int step = 0;
        for (int epoch = 0; step < totalSteps; epoch++) {
            int[] order = permutation(n, rng);
            for (int b = 0; b < stepsPerEpoch && step < totalSteps; b++, step++) {
                try (NDManager sub = manager.newSubManager()) {
                    long[] idx = new long[options.batchSize()];
                    float[] flip = new float[idx.length];
                    float[] y = new float[idx.length];
                    for (int i = 0; i < idx.length; i++) {
                        idx[i] = order[b * options.batchSize() + i];
                        y[i] = train.labels()[(int) idx[i]];
                        flip[i] = options.horizontalFlip() && rng.nextBoolean() ? 1f : 0f;
                    }
                    NDArray x = train.images().get(sub.create(idx));
                    x.attach(sub);
                    if (options.horizontalFlip()) {
                        NDArray mask = sub.create(flip, new Shape(idx.length, 1, 1, 1));
                        x = x.flip(3).mul(mask).add(x.mul(mask.neg().add(1f)));
                    }
                    ParameterStore ps = new ParameterStore(sub, false);
                    float value;
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray logits = model.logits(ps, model.features(ps, x, true), true);
                        NDArray l = loss.evaluate(new NDList(sub.create(y)), new NDList(logits));
                        gc.backward(l);
                        value = l.getFloat();
                    }
                    for (Parameter p : trainable) {
                        NDArray w = p.getArray();
                        NDArray g = w.getGradient();
                        adam.update(p.getId(), w, g);
                        g.subi(g); // libtorch accumulates gradients: zero them for the next step
                        g.close();
                    }
                    losses[step] = value;
                    if (listener != null) {
                        listener.onStep(step + 1, totalSteps, epoch, value);
                    }
                }
            }
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        double accuracy = test == null ? Double.NaN : accuracy(model, test, 500);
        return new Result(totalSteps, losses, accuracy, millis);
    }

    /** Fraction of {@code data} whose arg-max class equals the label (inference mode). */
    public static double accuracy(FashionClassifier model, Data data, int batchSize) {
        NDManager owner = data.images().getManager();
        int correct = 0;
        for (int start = 0; start < data.size(); start += batchSize) {
            int end = Math.min(data.size(), start + batchSize);
            try (NDManager sub = owner.newSubManager()) {
                NDArray x = data.images().get(start + ":" + end);
                x.attach(sub);
                ParameterStore ps = new ParameterStore(sub, false);
                long[] predicted = model.logits(ps, model.features(ps, x, false), false)
                        .argMax(1).toType(DataType.INT64, false).toLongArray();
                for (int i = 0; i < predicted.length; i++) {
                    if (predicted[i] == data.labels()[start + i]) {
                        correct++;
                    }
                }
            }
        }
        return correct / (double) data.size();
    }

    /** Cosine decay from {@code base} to {@code base/100} with a 1% linear warm-up. */
    static Tracker cosine(float base, int totalSteps) {
        int warmUp = Math.max(1, totalSteps / 100);
        return numUpdate -> {
            if (numUpdate < warmUp) {
                return base * (numUpdate + 1) / warmUp;
            }
            double progress = Math.min(1.0, (numUpdate - warmUp) / (double) Math.max(1, totalSteps - warmUp));
            double floor = base / 100.0;
            return (float) (floor + (base - floor) * 0.5 * (1 + Math.cos(Math.PI * progress)));
        };
    }

    /**
     * Trains a classifier of {@code config} on the Fashion-MNIST IDX files in {@code data} (train split; the
     * test split is scored) and writes {@code model.safetensors}, {@code config.json} and {@code training.json}
     * to {@code out}, saving after every epoch so an interrupted run still leaves a usable model. Progress
     * goes to {@code log}; {@code command} is recorded in {@code training.json}.
     */
    public static Result trainAndSave(Path data, Path out, Options options, FashionClassifier.Config config, String command,
            PrintStream log) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Data train = Data.fashionMnist(data, Split.TRAIN, manager);
            Data test = Data.fashionMnist(data, Split.TEST, manager);
            Engine.getInstance().setRandomSeed((int) options.seed());
            FashionClassifier model = new FashionClassifier(config);
            model.initialize(manager);
            long t0 = System.nanoTime();
            int stepsPerEpoch = train.size() / options.batchSize();
            Result r = train(model, manager, train, test, options, (step, total, epoch, loss) -> {
                if (step % 50 == 0 || step == total) {
                    double sec = (System.nanoTime() - t0) / 1e9;
                    log.printf(Locale.ROOT, "step %d/%d epoch %d loss %.4f  %.0fs elapsed, ETA %.0fs%n",
                            step, total, epoch + 1, loss, sec, sec / step * (total - step));
                }
                if (step % stepsPerEpoch == 0 && step < total) {
                    double acc = accuracy(model, test, 500);
                    log.printf(Locale.ROOT, "epoch %d test accuracy %.4f%n", step / stepsPerEpoch, acc);
                    try {
                        model.save(out, Map.of("test_accuracy", String.format(Locale.ROOT, "%.4f", acc),
                                "epoch", Integer.toString(step / stepsPerEpoch), "partial", "true"));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            });
            log.printf(Locale.ROOT, "test accuracy %.4f after %d steps, training took %.1f s%n",
                    r.testAccuracy(), r.steps(), r.trainMillis() / 1000.0);
            model.save(out, Map.of("test_accuracy", String.format(Locale.ROOT, "%.4f", r.testAccuracy())));
            JsonObject info = new JsonObject();
            info.addProperty("test_accuracy", r.testAccuracy());
            info.addProperty("test_images", test.size());
            info.addProperty("steps", r.steps());
            info.addProperty("train_seconds", r.trainMillis() / 1000.0);
            info.addProperty("intra_op_threads", System.getProperty("ai.djl.pytorch.num_threads", "default"));
            info.add("options", new Gson().toJsonTree(options));
            info.addProperty("command", command);
            AtomicFiles.writeString(out.resolve("training.json"), new GsonBuilder().setPrettyPrinting().create().toJson(info) + "\n");
            return r;
        }
    }

    private static int[] permutation(int n, Random rng) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }
}
