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
import java.util.concurrent.Callable;
import org.diffusion4j.data.CaptionedImageFolder;
import org.diffusion4j.data.CaptionedImages;
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
                test = ShapesDataset.generate(size, Split.TEST, seed, 256);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
        } else {
            CaptionedImages all = CaptionedImageFolder.open(Path.of(data), 3);
            train = all;
            test = all; // a folder has no split: R@1 is measured on its first images
        }
        List<String> captions = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            captions.add(train.caption(i));
        }
        ClipBpeLearner.Vocabulary v = ClipBpeLearner.learn(captions, 49408);
        ClipTokenizer tokenizer = new ClipTokenizer(v.vocab(), v.merges(), context, ClipTokenizer.END);
        ClipTextConfig config = new ClipTextConfig(v.vocab().size(), width, 2 * width, layers, 4, context, 1e-5, "quick_gelu",
                tokenizer.endId());
        o.printf(Locale.ROOT, "train-clip: %d captioned images of %s, vocabulary %d tokens (%d merges), text encoder %d x %d, "
                + "batch %d, %d steps%n", train.size(), train.name(), v.vocab().size(), v.merges().size(), layers, width, batch, steps);
        o.flush();
        List<MetricsLog.Point> curve = new ArrayList<>();
        double r1;
        long t0 = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager(); ClipModel model = new ClipModel(config, 3, IMAGE_WIDTH, width, m, seed)) {
            ClipTrainer trainer = new ClipTrainer(model, tokenizer, train, new ClipTrainer.Options(batch, lr, 0.0, seed), m);
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
            Files.createDirectories(out);
            ClipTokenizerFolder.save(out.resolve("tokenizer"), v.vocab(), v.merges(), context);
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
        report.addProperty("seconds", seconds);
        report.addProperty("command", "diffusion4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        AtomicFiles.writeString(out.resolve("clip.json"), new GsonBuilder().setPrettyPrinting().create().toJson(report) + "\n");
        o.printf(Locale.ROOT, "text -> image R@1 %.3f on %d held-out images (chance %.3f); %.1f s; wrote %s/tokenizer, text_encoder, "
                + "clip.json, loss.png%n", r1, Math.min(64, test.size()), 1.0 / Math.min(64, test.size()), seconds, out);
        o.flush();
        return 0;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
