package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.diffusion4j.data.CaptionedImageFolder;
import org.diffusion4j.data.CaptionedImages;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.ClipModelFiles;
import org.diffusion4j.diffusers.ClipTextFolder;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.nn.ClipBpeLearner;
import org.diffusion4j.nn.ClipModel;
import org.diffusion4j.nn.ClipTextConfig;
import org.diffusion4j.nn.ClipTokenizer;
import org.diffusion4j.train.ClipTrainer;
import org.diffusion4j.train.LossCurve;
import org.diffusion4j.train.MetricsLog;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j train-clip}: a CLIP-style text encoder trained contrastively with a small image encoder on
 * captioned images (Radford et al. 2021), its BPE vocabulary learnt from the captions. Writes {@code tokenizer/}
 * (CLIPTokenizer files) and {@code text_encoder/} (CLIPTextModel) for a text-to-image model to use frozen, the
 * loss curve, and the text → image retrieval R@1 on held-out images.
 */
@Command(name = "train-clip", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a CLIP-style text encoder contrastively on captioned images.",
            "",
            "  diffusion4j train-clip --data shapes --out runs/clip --steps 2000",
            "  diffusion4j train-clip --data my-captioned-folder/ --out runs/clip --steps 5000",
            "  diffusion4j train-clip --data shapes --init-from models/shapes-clip --hard-negatives --out runs/negclip --steps 1000",
            ""})
final class TrainClipCommand implements Callable<Integer> {

    /** The image encoder's base width. */
    static final int IMAGE_WIDTH = 32;

    @Option(names = "--data", required = true, paramLabel = "shapes|DIR",
            description = "shapes (generated), or a folder of images with metadata.jsonl (file_name, text).")
    String data;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder: tokenizer/, text_encoder/, clip_model.safetensors (for the CLIP score), clip.json, loss.png.")
    Path out;

    @Option(names = "--steps", defaultValue = "1000", paramLabel = "N", description = "Training steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "B", description = "Pairs per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-3", paramLabel = "LR", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--size", defaultValue = "32", paramLabel = "S", description = "shapes: canvas size (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--images", defaultValue = "20000", paramLabel = "N", description = "shapes: training images (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--width", defaultValue = "64", paramLabel = "D", description = "Text encoder width (default: ${DEFAULT-VALUE}).")
    int width;

    @Option(names = "--layers", defaultValue = "2", paramLabel = "N", description = "Text encoder blocks (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--context", defaultValue = "16", paramLabel = "L", description = "Tokens per caption, start and end included (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--init-from", paramLabel = "DIR",
            description = "Continue from a train-clip folder: its tokenizer, architecture and weights (--width, --layers, --context are ignored).")
    Path initFrom;

    @Option(names = "--hard-negatives",
            description = "Also contrast each two-object caption with its words in another order: the objects swapped around the "
                    + "relation and the colours swapped between the shapes (NegCLIP), so the encoder must read word order. "
                    + "Captions of the shapes data set's two-object form (\"a red circle above a blue square\").")
    boolean hardNegatives;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (steps < 1 || batch < 2 || !(lr > 0) || width < 4 || width % 4 != 0 || layers < 1 || context < 4) {
            throw usage("--steps >= 1, --batch >= 2, --lr > 0, --width a multiple of 4, --layers >= 1 and --context >= 4");
        }
        PrintWriter o = spec.commandLine().getOut();
        CaptionedImages train;
        CaptionedImages test;
        if (data.equals("shapes")) {
            try {
                train = ShapesDataset.generate(size, Split.TRAIN, seed, images);
                test = ShapesDataset.generate(size, Split.TEST, seed, 2 * WORD_ORDER_IMAGES);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        } else {
            CaptionedImages all = CaptionedImageFolder.open(Path.of(data), 3);
            train = all;
            test = all; // a folder has no split: R@1 is measured on its first images
        }
        ClipTokenizer tokenizer;
        ClipTextConfig config;
        Map<String, Integer> vocab = null;
        List<String[]> merges = null;
        if (initFrom != null) {
            for (Path need : List.of(initFrom.resolve("tokenizer"), initFrom.resolve("text_encoder"), initFrom.resolve(ClipModelFiles.WEIGHTS),
                    initFrom.resolve(ClipModelFiles.CONFIG))) {
                if (!Files.exists(need)) {
                    throw usage("--init-from " + initFrom + ": no " + need.getFileName() + "; give a folder train-clip wrote (tokenizer/, "
                            + "text_encoder/, " + ClipModelFiles.WEIGHTS + ", " + ClipModelFiles.CONFIG + ")");
                }
            }
            tokenizer = ClipTokenizerFolder.load(initFrom.resolve("tokenizer"));
            config = ClipTextFolder.readConfig(initFrom.resolve("text_encoder").resolve(ClipTextFolder.CONFIG_FILE));
        } else {
            List<String> captions = new ArrayList<>();
            for (int i = 0; i < train.size(); i++) {
                captions.add(train.caption(i));
            }
            ClipBpeLearner.Vocabulary v = ClipBpeLearner.learn(captions, 49408);
            vocab = v.vocab();
            merges = v.merges();
            tokenizer = new ClipTokenizer(vocab, merges, context, ClipTokenizer.END);
            config = new ClipTextConfig(vocab.size(), width, 2 * width, layers, 4, context, 1e-5, "quick_gelu", tokenizer.endId());
        }
        o.printf(Locale.ROOT, "train-clip: %d captioned images of %s, vocabulary %d tokens, text encoder %d x %d%s, "
                + "batch %d, %d steps%s%n", train.size(), train.name(), tokenizer.vocabSize(), config.numHiddenLayers(),
                config.hiddenSize(), initFrom == null ? "" : " from " + initFrom, batch, steps,
                hardNegatives ? ", with hard negatives" : "");
        o.flush();
        if (hardNegatives && !Shapes.hasTwoObjectCaption(train)) {
            spec.commandLine().getErr().println("train-clip: warning: no caption of " + train.name() + " has the two-object form "
                    + "(\"a red circle above a blue square\"), so --hard-negatives adds nothing");
        }
        List<MetricsLog.Point> curve = new ArrayList<>();
        double r1;
        ClipTrainer.WordOrder before = null;
        ClipTrainer.WordOrder after;
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager();
                ClipModel model = initFrom != null ? ClipModelFiles.load(initFrom, m)
                        : new ClipModel(config, 3, IMAGE_WIDTH, width, m, seed)) {
            if (initFrom != null) {
                before = ClipTrainer.wordOrder(model, tokenizer, test, WORD_ORDER_IMAGES, m);
                printWordOrder(o, "before", before);
            }
            ClipTrainer trainer = new ClipTrainer(model, tokenizer, train,
                    new ClipTrainer.Options(batch, lr, 0.0, seed, hardNegatives), m);
            double recent = 0;
            for (int s = 1; s <= steps; s++) {
                double loss = trainer.trainStep();
                curve.add(new MetricsLog.Point(s, loss));
                recent += loss;
                if (s % 100 == 0 || s == steps) {
                    o.printf(Locale.ROOT, "step %d/%d loss %.4f (mean of the last %d) scale %.1f, %.1f s%n", s, steps,
                            recent / (s % 100 == 0 ? 100 : s % 100), s % 100 == 0 ? 100 : s % 100, model.scale(),
                            (System.nanoTime() - t0) / 1e9);
                    o.flush();
                    recent = 0;
                }
            }
            r1 = ClipTrainer.retrievalAtOne(model, tokenizer, test, Math.min(64, test.size()), m);
            after = ClipTrainer.wordOrder(model, tokenizer, test, WORD_ORDER_IMAGES, m);
            printWordOrder(o, "after", after);
            Files.createDirectories(out);
            if (initFrom != null) {
                ClipTokenizerFolder.copy(initFrom.resolve("tokenizer"), out.resolve("tokenizer"));
            } else {
                ClipTokenizerFolder.save(out.resolve("tokenizer"), vocab, merges, context);
            }
            ClipTextFolder.save(model.textModel(), out.resolve("text_encoder"));
            ClipModelFiles.save(model, 3, IMAGE_WIDTH, out);
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        LossCurve.write(out.resolve(LossCurve.FILE_NAME), curve, "CLIP contrastive loss, " + train.name());
        JsonObject report = new JsonObject();
        report.addProperty("data", train.name());
        report.addProperty("steps", steps);
        report.addProperty("batch", batch);
        report.addProperty("final_loss", curve.get(curve.size() - 1).loss());
        report.addProperty("text_to_image_r_at_1", r1);
        report.addProperty("r_at_1_images", Math.min(64, test.size()));
        if (after.images() > 0) {
            report.addProperty("word_order_images", after.images());
            report.addProperty("word_order_accuracy", after.order());
            report.addProperty("attribute_order_accuracy", after.colours());
        }
        if (initFrom != null) {
            report.addProperty("init_from", initFrom.toString());
        }
        if (before != null && before.images() > 0) {
            report.addProperty("word_order_accuracy_before", before.order());
            report.addProperty("attribute_order_accuracy_before", before.colours());
        }
        report.addProperty("hard_negatives", hardNegatives);
        report.addProperty("seconds", seconds);
        report.addProperty("command", "diffusion4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        AtomicFiles.writeString(out.resolve("clip.json"), new GsonBuilder().setPrettyPrinting().create().toJson(report) + "\n");
        o.printf(Locale.ROOT, "text -> image R@1 %.3f on %d held-out images (chance %.3f); %.1f s; wrote %s/tokenizer, text_encoder, "
                + "clip.json, loss.png%n", r1, Math.min(64, test.size()), 1.0 / Math.min(64, test.size()), seconds, out);
        o.flush();
        return 0;
    }

    /** Two-object test images for the word-order accuracies. */
    static final int WORD_ORDER_IMAGES = 256;

    private static void printWordOrder(PrintWriter o, String when, ClipTrainer.WordOrder w) {
        if (w.images() > 0) {
            o.printf(Locale.ROOT, "word order %s: an image prefers its caption to the objects swapped %.3f, to the colours swapped "
                    + "%.3f, on %d two-object test images (a bag of words: 0.5)%n", when, w.order(), w.colours(), w.images());
            o.flush();
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
