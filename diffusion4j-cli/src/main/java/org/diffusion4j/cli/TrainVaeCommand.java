package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.ImageFolderDataset;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.AutoencoderKLFolder;
import org.diffusion4j.io.AtomicFiles;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.nn.AutoencoderKL;
import org.diffusion4j.nn.AutoencoderKLConfig;
import org.diffusion4j.train.LossCurve;
import org.diffusion4j.train.MetricsLog;
import org.diffusion4j.train.VaeTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j train-vae}: the auto-encoder of latent diffusion (diffusers' AutoencoderKL) trained on an image set,
 * its {@code scaling_factor} measured on the data; reports PSNR of test reconstructions and writes them beside the originals.
 */
@Command(name = "train-vae", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the auto-encoder of latent diffusion (AutoencoderKL) on images.",
            "",
            "  diffusion4j train-vae --data shapes --size 64 --out runs/vae --steps 3000",
            "  diffusion4j train-vae --data fashion-mnist --out runs/vae-fm --steps 2000 --latent-channels 2",
            "  diffusion4j train-vae --data shapes --init-from runs/vae --out runs/vae2 --minutes 30   # train on",
            ""})
final class TrainVaeCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, paramLabel = "shapes|fashion-mnist|DIR",
            description = "shapes (generated, RGB), fashion-mnist (gray 28x28), or a folder of images (RGB, resized to --size).")
    String data;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Output folder: vae/ (diffusers AutoencoderKL: config.json with scaling_factor, weights), vae.json, "
                    + "reconstructions.png, loss.png.")
    Path out;

    @Option(names = "--steps", paramLabel = "N", description = "Training steps (default: 2000, or as many as --minutes allows).")
    Integer steps;

    @Option(names = "--minutes", paramLabel = "M", description = "Stop after this many minutes of training (at the end of a step).")
    Double minutes;

    @Option(names = "--init-from", paramLabel = "DIR",
            description = "Start from this auto-encoder (a train-vae folder or a diffusers AutoencoderKL folder) instead of random "
                    + "weights; its architecture replaces --channels, --latent-channels and --groups; a fresh optimizer.")
    Path initFrom;

    @Option(names = "--batch", defaultValue = "32", paramLabel = "B", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--lr", defaultValue = "1e-3", paramLabel = "LR", description = "AdamW learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--loss", defaultValue = "l1", paramLabel = "l1|l2", description = "Reconstruction term (default: ${DEFAULT-VALUE}).")
    String loss;

    @Option(names = "--kl-weight", defaultValue = "1e-6", paramLabel = "BETA",
            description = "Weight of the KL term (LDM's KL-regularised auto-encoders: 1e-6; default: ${DEFAULT-VALUE}).")
    double klWeight;

    @Option(names = "--channels", defaultValue = "32,64,64", split = ",", paramLabel = "C",
            description = "Widths per level; the latents are 2^(levels-1) times smaller per side (default: ${DEFAULT-VALUE}: factor 4).")
    int[] channels;

    @Option(names = "--latent-channels", defaultValue = "4", paramLabel = "L", description = "Latent channels (default: ${DEFAULT-VALUE}).")
    int latentChannels;

    @Option(names = "--groups", defaultValue = "8", paramLabel = "G", description = "GroupNorm groups (default: ${DEFAULT-VALUE}).")
    int groups;

    @Option(names = "--size", defaultValue = "64", paramLabel = "S", description = "shapes and folders: image size (default: ${DEFAULT-VALUE}).")
    int size;

    @Option(names = "--images", defaultValue = "20000", paramLabel = "N", description = "shapes: training images (default: ${DEFAULT-VALUE}).")
    int images;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Spec
    CommandSpec spec;

    /** Test images reconstructed for the figures. */
    static final int TEST_IMAGES = 256;

    @Override
    public Integer call() throws IOException {
        AutoencoderKLConfig config;
        VaeTrainer.Options options;
        ImageDataset train;
        ImageDataset test;
        AutoencoderKLConfig start = null;
        try {
            if (steps != null && steps < 1) {
                throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
            }
            if (minutes != null && !(minutes > 0 && minutes <= 100_000)) {
                throw new IllegalArgumentException("--minutes must be in (0, 100000], got " + minutes);
            }
            options = new VaeTrainer.Options(batch, lr, klWeight, VaeTrainer.Reconstruction.parse(loss), seed);
            ImageDataset[] sets = open();
            train = sets[0];
            test = sets[1];
            if (initFrom != null) {
                start = startingConfig();
                config = new AutoencoderKLConfig(start.inChannels(), start.outChannels(), start.latentChannels(), start.blockOutChannels(),
                        start.layersPerBlock(), start.normNumGroups(), train.height(), 1.0, start.midBlockAttention());
            } else {
                config = new AutoencoderKLConfig(train.channels(), train.channels(), latentChannels, channels, 1, groups, train.height(),
                        1.0, true);
            }
            if (config.inChannels() != train.channels()) {
                throw new IllegalArgumentException("--init-from " + initFrom + ": the auto-encoder reads " + config.inChannels()
                        + "-channel images but " + train.name() + " has " + train.channels());
            }
            if (train.height() != train.width() || train.height() % config.downsampleFactor() != 0) {
                throw new IllegalArgumentException("--channels: " + config.blockOutChannels().length + " levels shrink by " + config.downsampleFactor()
                        + ", which must divide the " + train.width() + "x" + train.height() + " images; use fewer levels or another --size");
            }
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
        int maxSteps = steps != null ? steps : minutes != null ? Integer.MAX_VALUE : 2000;
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "train-vae: %d images of %s (%dx%dx%d), widths %s, latents %dx%dx%d, %s + %s KL, batch %d, %s%n",
                train.size(), train.name(), train.channels(), train.height(), train.width(), Arrays.toString(config.blockOutChannels()),
                config.latentChannels(),
                train.height() / config.downsampleFactor(), train.width() / config.downsampleFactor(), options.reconstruction(), klWeight,
                batch, (steps == null && minutes != null ? "" : maxSteps + " steps")
                        + (minutes == null ? "" : String.format(Locale.ROOT, "%s at most %.1f min", steps == null ? "" : ",", minutes))
                        + (initFrom == null ? "" : ", from " + initFrom));
        o.flush();
        List<MetricsLog.Point> curve = new ArrayList<>();
        long t0 = System.nanoTime();
        double factor;
        int done;
        VaeTrainer.Reconstructions rec;
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL model = AutoencoderKL.create(config, m, seed)) {
            if (initFrom != null) {
                try (AutoencoderKL from = AutoencoderKLFolder.load(vaeFolder(initFrom), m)) {
                    VaeTrainer.initialiseFrom(model, from, vaeFolder(initFrom).toString());
                }
            }
            VaeTrainer trainer = new VaeTrainer(model, train, options, m);
            double recent = 0;
            long deadline = minutes == null ? Long.MAX_VALUE : System.nanoTime() + (long) (minutes * 60e9);
            String total = steps == null ? "" : "/" + maxSteps;
            int s = 0;
            while (s == 0 || s < maxSteps && System.nanoTime() < deadline) { // at least one step
                VaeTrainer.StepLoss l = trainer.trainStep();
                s++;
                curve.add(new MetricsLog.Point(s, l.reconstruction()));
                recent += l.reconstruction();
                boolean last = s == maxSteps || System.nanoTime() >= deadline;
                if (s % 100 == 0 || last) {
                    int k = s % 100 == 0 ? 100 : s % 100;
                    o.printf(Locale.ROOT, "step %d%s reconstruction %.4f (mean of the last %d), KL %.1f, %.1f s%n", s, total, recent / k, k,
                            l.kl(), (System.nanoTime() - t0) / 1e9);
                    o.flush();
                    recent = 0;
                }
            }
            done = s;
            factor = VaeTrainer.scalingFactor(model, train, 1024, seed, m);
            rec = VaeTrainer.reconstruct(model, test, TEST_IMAGES, m);
            Files.createDirectories(out);
            AutoencoderKLFolder.save(model, config.withScalingFactor(factor), out.resolve("vae"));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        LossCurve.write(out.resolve(LossCurve.FILE_NAME), curve, "auto-encoder reconstruction loss, " + train.name());
        writeReconstructions(rec);
        JsonObject report = new JsonObject();
        report.addProperty("data", train.name());
        report.addProperty("steps", done);
        if (initFrom != null) {
            report.addProperty("init_from", initFrom.toString());
        }
        report.addProperty("batch", batch);
        report.addProperty("final_reconstruction_loss", curve.get(curve.size() - 1).loss());
        report.addProperty("scaling_factor", factor);
        report.addProperty("test_psnr_db", rec.psnr());
        report.addProperty("test_images", rec.shape()[0]);
        report.addProperty("seconds", seconds);
        report.addProperty("command", "diffusion4j " + String.join(" ", spec.commandLine().getParseResult().originalArgs()));
        AtomicFiles.writeString(out.resolve("vae.json"), new GsonBuilder().setPrettyPrinting().create().toJson(report) + "\n");
        o.printf(Locale.ROOT, "test reconstructions: PSNR %.2f dB on %d images; scaling_factor %.5f (1/std of the latents); %.1f s; "
                + "wrote %s/vae, vae.json, reconstructions.png, loss.png%n", rec.psnr(), rec.shape()[0], factor, seconds, out);
        o.flush();
        return 0;
    }

    /** {@code DIR/vae} when it is a folder (a train-vae output or a pipeline), else DIR itself. */
    private static Path vaeFolder(Path dir) {
        return Files.isDirectory(dir.resolve("vae")) ? dir.resolve("vae") : dir;
    }

    /** The architecture of --init-from; the shape options must not contradict it. */
    private AutoencoderKLConfig startingConfig() throws IOException {
        Path file = vaeFolder(initFrom).resolve("config.json");
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("--init-from " + initFrom + ": no auto-encoder there (" + file + " not found); give a "
                    + "train-vae output folder or a diffusers AutoencoderKL folder");
        }
        AutoencoderKLConfig c;
        try {
            c = AutoencoderKLFolder.readConfig(file);
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("--init-from " + initFrom + ": " + e.getMessage());
        }
        var given = spec.commandLine().getParseResult();
        if (given.hasMatchedOption("--channels") && !Arrays.equals(channels, c.blockOutChannels())
                || given.hasMatchedOption("--latent-channels") && latentChannels != c.latentChannels()
                || given.hasMatchedOption("--groups") && groups != c.normNumGroups()) {
            throw new IllegalArgumentException("--init-from " + initFrom + " has widths " + Arrays.toString(c.blockOutChannels()) + ", "
                    + c.latentChannels() + " latent channels and " + c.normNumGroups() + " groups; leave out --channels, "
                    + "--latent-channels and --groups (fine-tuning keeps the architecture)");
        }
        return c;
    }

    /** {train, test}: the named set's splits, or for a folder its images twice (a folder has no split). */
    private ImageDataset[] open() throws IOException {
        String name = data.toLowerCase(Locale.ROOT);
        if (name.equals("shapes")) {
            return new ImageDataset[] {ShapesDataset.generate(size, Split.TRAIN, seed, images),
                ShapesDataset.generate(size, Split.TEST, seed, TEST_IMAGES)};
        }
        if (Datasets.names().contains(name)) {
            return new ImageDataset[] {Datasets.open(name, Split.TRAIN), Datasets.open(name, Split.TEST)};
        }
        Path folder = Path.of(data);
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException("--data " + data + " is neither shapes, " + Datasets.names() + " nor an image folder");
        }
        ImageDataset all = ImageFolderDataset.builder(folder).optChannels(3).optResize(size, size).build();
        return new ImageDataset[] {all, all};
    }

    /** Originals (odd rows) above their reconstructions (even rows), 8 per row, the first 32 test images. */
    private void writeReconstructions(VaeTrainer.Reconstructions rec) throws IOException {
        long[] s = rec.shape();
        int per = (int) (s[1] * s[2] * s[3]);
        int n = (int) Math.min(32, s[0]);
        int rows = (n + 7) / 8;
        float[] grid = new float[rows * 16 * per];
        java.util.Arrays.fill(grid, -1f);
        for (int i = 0; i < n; i++) {
            int row = i / 8;
            int col = i % 8;
            System.arraycopy(rec.originals(), i * per, grid, ((2 * row) * 8 + col) * per, per);
            System.arraycopy(rec.reconstructions(), i * per, grid, ((2 * row + 1) * 8 + col) * per, per);
        }
        long[] shape = {rows * 16L, s[1], s[2], s[3]};
        ImageGrid.writePng(out.resolve("reconstructions.png"), ImageGrid.scale(ImageGrid.grid(grid, shape, 8, 2), s[2] <= 32 ? 2 : 1));
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
