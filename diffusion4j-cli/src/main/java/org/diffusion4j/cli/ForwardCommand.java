package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.data.ImageFiles;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.schedule.BetaSchedule;
import org.diffusion4j.schedule.NoiseSchedule;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j forward}: the forward (noising) process on one image, as a strip of
 * x_t = √ᾱ_t x₀ + √(1 − ᾱ_t) ε (Eq. 4 of Ho et al. 2020) for several t. The same ε is used for every
 * t, so the strip reads as one image dissolving into noise from left to right.
 */
@Command(name = "forward", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Noise one image: a strip of x_t ~ q(x_t | x_0) for several t.",
            "",
            "  diffusion4j forward --dataset fashion-mnist --index 7 --out strip.png",
            "  diffusion4j forward --image photo.png --schedule cosine --t 0,100,300,600,999",
            ""})
final class ForwardCommand implements Callable<Integer> {

    static final class Source {
        @Option(names = "--image", paramLabel = "FILE", description = "A PNG or JPEG image (gray or RGB).")
        Path image;

        @Option(names = "--dataset", paramLabel = "NAME", completionCandidates = DatasetNames.class,
                description = "A named data set: ${COMPLETION-CANDIDATES}.")
        String dataset;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    @Option(names = "--index", defaultValue = "0", paramLabel = "I", description = "Image index in the data set (default: ${DEFAULT-VALUE}).")
    int index;

    @Option(names = "--split", defaultValue = "train", paramLabel = "SPLIT", description = "train or test (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--t", split = ",", paramLabel = "T", defaultValue = "0,50,100,250,500,999",
            description = "Timesteps to show, comma-separated (default: ${DEFAULT-VALUE}).")
    int[] timesteps;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Take the noise schedule from this model folder's scheduler/scheduler_config.json "
                    + "(then --schedule, --num-train-timesteps and --beta-* are ignored).")
    Path model;

    @Option(names = "--schedule", defaultValue = "linear", paramLabel = "NAME",
            description = "Beta schedule: linear, scaled_linear, cosine (squaredcos_cap_v2), sigmoid (default: ${DEFAULT-VALUE}).")
    String schedule;

    @Option(names = "--num-train-timesteps", defaultValue = "1000", paramLabel = "T", description = "Length T of the schedule (default: ${DEFAULT-VALUE}).")
    int numTrainTimesteps;

    @Option(names = "--beta-start", defaultValue = "0.0001", paramLabel = "B", description = "First beta (default: ${DEFAULT-VALUE}).")
    double betaStart;

    @Option(names = "--beta-end", defaultValue = "0.02", paramLabel = "B", description = "Last beta (default: ${DEFAULT-VALUE}).")
    double betaEnd;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the noise ε (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--scale", paramLabel = "K", description = "Upscaling factor (default: enough to make the image at least 112 pixels, e.g. 4 for 28x28).")
    Integer scale;

    @Option(names = "--no-labels", description = "Do not write t=… under each image.")
    boolean noLabels;

    @Option(names = "--out", defaultValue = "forward.png", paramLabel = "FILE", description = "Output PNG (default: ${DEFAULT-VALUE}).")
    Path out;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        NoiseSchedule ns = schedule();
        for (int t : timesteps) {
            if (t < 0 || t >= ns.numTimesteps()) {
                throw new ParameterException(spec.commandLine(), "timestep " + t + " is outside [0, "
                        + (ns.numTimesteps() - 1) + "] for --num-train-timesteps " + ns.numTimesteps());
            }
        }
        Image x0 = source.image != null ? Image.read(source.image) : fromDataset();
        int n = timesteps.length;
        float[] strip;
        try (NDManager m = NDManager.newBaseManager()) {
            Shape one = new Shape(1, x0.c, x0.h, x0.w);
            NDArray image = m.create(x0.values, one).repeat(0, n);
            NDArray eps = NoiseSource.seeded(seed).normal(m, one, 0).repeat(0, n);
            // Eq. 4 of Ho et al. 2020: x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε, the same ε for every t
            strip = new GaussianDiffusion(ns).qSample(image, timesteps, eps).toFloatArray();
        }
        int k = scale != null ? scale : Math.max(1, (int) Math.ceil(112.0 / Math.max(x0.h, x0.w)));
        if (k < 1 || k > 64) {
            throw new ParameterException(spec.commandLine(), "--scale must be in [1, 64], got " + k);
        }
        BufferedImage img = ImageGrid.scale(ImageGrid.grid(strip, new long[] {n, x0.c, x0.h, x0.w}, n, 1), k);
        if (!noLabels) {
            img = labelled(img, x0.w * k, k);
        }
        ImageGrid.writePng(out, img);
        PrintWriter o = spec.commandLine().getOut();
        o.printf("wrote %s (%dx%d): %s, t = %s, schedule %s, seed %d%n", out, img.getWidth(), img.getHeight(),
                x0.description, Arrays.toString(timesteps), schedule, seed);
        o.flush();
        return 0;
    }

    private NoiseSchedule schedule() throws IOException {
        if (model != null) {
            Path file = model.resolve("scheduler").resolve("scheduler_config.json");
            if (!java.nio.file.Files.isRegularFile(file)) {
                throw new java.nio.file.NoSuchFileException(file.toString(), null,
                        "no scheduler config; --model takes a diffusers model folder");
            }
            schedule = file.toString();
            return SchedulerConfig.read(file).noiseSchedule();
        }
        BetaSchedule bs;
        try {
            bs = BetaSchedule.parse(schedule);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--schedule: " + e.getMessage());
        }
        if (numTrainTimesteps < 1) {
            throw new ParameterException(spec.commandLine(), "--num-train-timesteps must be at least 1");
        }
        return NoiseSchedule.of(bs, numTrainTimesteps, betaStart, betaEnd);
    }

    private Image fromDataset() throws IOException {
        Split sp;
        try {
            sp = Split.parse(split);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), "--split: " + e.getMessage());
        }
        ImageDataset d = Datasets.open(source.dataset, sp);
        if (index < 0 || index >= d.size()) {
            throw new ParameterException(spec.commandLine(), "--index " + index + " is outside [0, " + (d.size() - 1)
                    + "] for " + source.dataset + " " + sp);
        }
        int size = d.imageBytes();
        float[] v = new float[size];
        byte[] px = d.pixels();
        for (int i = 0; i < size; i++) {
            v[i] = Batcher.toModelRange(px[index * size + i] & 0xff);
        }
        String label = d.hasLabels() ? " (" + d.classNames().get(d.label(index)) + ")" : "";
        return new Image(v, d.channels(), d.height(), d.width(), source.dataset + " " + sp + " #" + index + label);
    }

    /** The strip with a band below holding "t=…" centred under each frame. */
    private BufferedImage labelled(BufferedImage strip, int frameWidth, int k) {
        int font = Math.max(1, k / 2);
        int band = TinyFont.GLYPH_HEIGHT * font + 2 * Math.max(2, font * 2);
        BufferedImage out = new BufferedImage(strip.getWidth(), strip.getHeight() + band, strip.getType());
        int[] bg = new int[out.getRaster().getNumBands() * out.getWidth()];
        Arrays.fill(bg, ImageGrid.PAD_VALUE);
        for (int y = 0; y < out.getHeight(); y++) {
            out.getRaster().setPixels(0, y, out.getWidth(), 1, bg);
        }
        out.getRaster().setRect(strip.getRaster());
        int pad = k; // the grid's 1-pixel padding, scaled
        for (int i = 0; i < timesteps.length; i++) {
            String text = "t=" + timesteps[i];
            int x = pad + i * (frameWidth + pad) + (frameWidth - TinyFont.width(text, font)) / 2;
            TinyFont.draw(out, text, x, strip.getHeight() + (band - TinyFont.GLYPH_HEIGHT * font) / 2, font, 0);
        }
        return out;
    }

    /** One image in the model's range [−1, 1], CHW. */
    record Image(float[] values, int c, int h, int w, String description) {

        static Image read(Path file) throws IOException {
            ImageFiles.Decoded img = ImageFiles.read(file, ImageFiles.DEFAULT_MAX_SIDE);
            int c = img.channels();
            int h = img.height();
            int w = img.width();
            float[] v = new float[c * h * w];
            for (int i = 0; i < v.length; i++) {
                v[i] = Batcher.toModelRange(img.planes()[i] & 0xff);
            }
            return new Image(v, c, h, w, file + " (" + w + "x" + h + (c == 1 ? " gray" : " RGB") + ")");
        }
    }
}
