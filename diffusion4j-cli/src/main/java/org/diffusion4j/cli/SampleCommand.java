package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.diffusion.VarianceType;
import org.diffusion4j.io.Gif;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.io.Tensors;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.sampling.Samplers;
import org.diffusion4j.sampling.SchedulerConfig;
import org.diffusion4j.schedule.TimestepSpacing;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code diffusion4j sample}: generate images with a model folder (diffusers layout) and any
 * registered sampler. Scheduler settings come from the folder's {@code scheduler/scheduler_config.json};
 * the options below override them.
 *
 * <p>Reproducibility: image i starts from draw i of {@code NoiseSource.seeded(seed)} and takes its
 * sampler noise from a stream of its own, so an image depends on (model, sampler settings, seed, i)
 * and not on {@code --batch} or {@code -n}.
 */
@Command(name = "sample", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Generate images with a trained model.",
            "",
            "  diffusion4j sample                   # 64 images, bundled model -> samples.png",
            "  diffusion4j sample --model runs/my-model --sampler ddpm -n 16 --seed 1",
            "  diffusion4j sample --steps 20 --out-dir out/ --trajectory steps.gif",
            ""})
final class SampleCommand implements Callable<Integer> {

    /** Where the bundled model lives, relative to the repository root. */
    static final String DEFAULT_MODEL = ModelLoading.DEFAULT_MODEL;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder (diffusers layout: unet/, scheduler/). Default: <repo>/" + DEFAULT_MODEL + ".")
    Path model;

    @Option(names = "--sampler", paramLabel = "NAME", completionCandidates = SamplerNames.class,
            description = "Sampler: ${COMPLETION-CANDIDATES} (default: ddim).")
    String sampler = "ddim";

    @Option(names = "--steps", paramLabel = "N",
            description = "Sampling steps (default: T, the training length, for ddpm; 50 otherwise).")
    Integer steps;

    @Option(names = "--eta", paramLabel = "E", description = "DDIM eta in [0, 1]: 0 deterministic, 1 DDPM-like (default: 0).")
    Double eta;

    @Option(names = "--spacing", paramLabel = "S", description = "Timestep spacing: leading, trailing, linspace (default: the scheduler config's).")
    String spacing;

    @Option(names = "--variance", paramLabel = "V", description = "DDPM variance: fixed_small or fixed_large (default: the scheduler config's).")
    String variance;

    @Option(names = "--clip-sample", negatable = true, paramLabel = "",
            description = "Clamp the x0 estimate to [-1, 1] each step (default: the scheduler config's).")
    Boolean clipSample;

    @Option(names = "--karras", negatable = true, description = "Solvers: Karras et al. noise levels (default: the scheduler config's).")
    Boolean karras;

    @Option(names = "--class", paramLabel = "all|C[,C...]",
            description = "Class-conditional models: class ids given to the images in turn, or all (image i gets class i mod K) (default: all).")
    String classes;

    @Option(names = {"-n", "--num-images"}, paramLabel = "N", description = "Number of images (default: 64, or the count in --noise).")
    Integer numImages;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "B", description = "Images per network call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--out", paramLabel = "FILE", description = "Grid PNG of all images (default: samples.png unless --out-dir is given).")
    Path out;

    @Option(names = "--out-dir", paramLabel = "DIR", description = "Also write each image as DIR/sample_00000.png, …")
    Path outDir;

    @Option(names = "--noise", paramLabel = "FILE", description = "Start from this x_T (.npy or .safetensors, shape [N, C, H, W]) instead of seeded noise.")
    Path noise;

    @Option(names = "--out-raw", paramLabel = "FILE", description = "Write the final float tensor [N, C, H, W], unclamped (.npy or .safetensors).")
    Path outRaw;

    @Option(names = "--trajectory", paramLabel = "FILE.gif", description = "Animated GIF of the first images along the sampling steps.")
    Path trajectory;

    @Option(names = "--trajectory-of", defaultValue = "x0", paramLabel = "x0|xt",
            description = "What the GIF shows per step: x0 (the model's clean estimate) or xt (the noisy sample) (default: ${DEFAULT-VALUE}).")
    String trajectoryOf;

    @Option(names = "--trajectory-images", defaultValue = "8", paramLabel = "K", description = "Images in the GIF, from the first batch (default: ${DEFAULT-VALUE}).")
    int trajectoryImages;

    @Option(names = "--trajectory-frames", defaultValue = "50", paramLabel = "F", description = "Most frames in the GIF; steps are subsampled evenly (default: ${DEFAULT-VALUE}).")
    int trajectoryFrames;

    @Option(names = "--frame-ms", defaultValue = "80", paramLabel = "MS", description = "GIF frame delay in milliseconds (default: ${DEFAULT-VALUE}).")
    int frameMs;

    @Option(names = "--columns", paramLabel = "C", description = "Grid columns (default: the square root of N, rounded up).")
    Integer columns;

    @Option(names = "--padding", defaultValue = "2", paramLabel = "P", description = "Pixels between grid images (default: ${DEFAULT-VALUE}).")
    int padding;

    @Option(names = "--scale", paramLabel = "K", description = "Upscale the grid and GIF by K (default: 2 for images of 32 px or less, else 1).")
    Integer scale;

    @Option(names = "--no-progress", description = "Do not show the progress bar.")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        validateCounts();
        Path dir = modelDir();
        SchedulerConfig config = schedulerConfig(dir);
        Sampler s = Samplers.create(sampler, config.noiseSchedule(), options(config));
        if (out == null && outDir == null) {
            out = Path.of("samples.png");
        }
        PrintWriter o = spec.commandLine().getOut();
        try (NDManager manager = NDManager.newBaseManager()) {
            UNet2DModel unet = UNet2DModel.load(dir.resolve("unet"), manager);
            long[] imageShape = imageShape(unet);
            NDArray xT = initialNoise(manager, imageShape);
            int n = (int) xT.getShape().get(0);
            long[] labels = labels(n, unet.config().numClassEmbeds());
            SamplingRun.Denoisers denoisers = (from, to) -> new UNetDenoiser(unet, config.predictionType(),
                    labels == null ? null : Arrays.copyOfRange(labels, from, to));
            SamplingRun run = new SamplingRun(s, denoisers, seed, batch, progress(), trajectoryCapture(n));
            long start = System.nanoTime();
            float[] result = run.sample(xT);
            double seconds = (System.nanoTime() - start) / 1e9;
            long[] shape = xT.getShape().getShape();
            writeOutputs(manager, result, shape, run);
            o.printf(Locale.ROOT, "%d images %dx%d from %s with %s (%d steps, %d network evaluations per image), seed %d, in %.1f s (%.2f images/s)%n",
                    n, shape[3], shape[2], dir, s.name(), stepsUsed(config), s.evaluations(), seed, seconds, n / seconds);
            for (String w : written) {
                o.println("wrote " + w);
            }
        }
        o.flush();
        return 0;
    }

    private final List<String> written = new ArrayList<>();

    private void validateCounts() {
        if (numImages != null && numImages < 1) {
            throw usage("-n must be at least 1, got " + numImages);
        }
        if (batch < 1) {
            throw usage("--batch must be at least 1, got " + batch);
        }
        if (steps != null && steps < 1) {
            throw usage("--steps must be at least 1, got " + steps);
        }
        if (padding < 0 || padding > 64) {
            throw usage("--padding must be in [0, 64], got " + padding);
        }
        if (scale != null && (scale < 1 || scale > 16)) {
            throw usage("--scale must be in [1, 16], got " + scale);
        }
        if (columns != null && columns < 1) {
            throw usage("--columns must be at least 1, got " + columns);
        }
        if (trajectoryImages < 1 || trajectoryFrames < 2 || frameMs < 0) {
            throw usage("--trajectory-images must be >= 1, --trajectory-frames >= 2 and --frame-ms >= 0");
        }
        if (!trajectoryOf.equals("x0") && !trajectoryOf.equals("xt")) {
            throw usage("--trajectory-of must be x0 or xt, got '" + trajectoryOf + "'");
        }
        if (trajectory != null && !trajectory.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gif")) {
            throw usage("--trajectory writes an animated GIF; name it *.gif, got " + trajectory);
        }
        for (Path p : new Path[] {noise, outRaw}) {
            if (p != null) {
                try {
                    Tensors.Format.of(p);
                } catch (IllegalArgumentException e) {
                    throw usage(e.getMessage());
                }
            }
        }
    }

    /** The model folder: --model, or the bundled one under the repository root. */
    private Path modelDir() throws IOException {
        return ModelLoading.modelDir(model);
    }

    private static SchedulerConfig schedulerConfig(Path dir) throws IOException {
        return ModelLoading.schedulerConfig(dir);
    }

    /** The scheduler config's settings with the command-line overrides applied. */
    private SamplerOptions options(SchedulerConfig config) {
        SamplerOptions.Builder b = config.samplerOptions(stepsUsed(config)).toBuilder();
        try {
            if (eta != null) {
                b.eta(eta);
            }
            if (spacing != null) {
                b.spacing(TimestepSpacing.parse(spacing));
            }
            if (variance != null) {
                b.varianceType(VarianceType.parse(variance));
            }
            if (clipSample != null) {
                b.clipSample(clipSample);
            }
            if (karras != null) {
                b.karrasSigmas(karras);
            }
            Samplers.factory(sampler);
            return b.build();
        } catch (IllegalArgumentException e) {
            throw usage(e.getMessage());
        }
    }

    private int stepsUsed(SchedulerConfig config) {
        if (steps != null) {
            return steps;
        }
        return sampler.trim().equalsIgnoreCase("ddpm") ? config.numTrainTimesteps() : 50;
    }

    /** Class labels per image for a class-conditional model (K = num_class_embeds), or null for an unconditional one. */
    private long[] labels(int n, Integer k) {
        if (k == null) {
            if (classes != null) {
                throw usage("--class: the model is unconditional (its unet/config.json has no num_class_embeds)");
            }
            return null;
        }
        String spec = classes == null ? "all" : classes.trim();
        long[] labels = new long[n];
        if (spec.equalsIgnoreCase("all")) {
            for (int i = 0; i < n; i++) {
                labels[i] = i % k;
            }
            return labels;
        }
        String[] parts = spec.split(",");
        long[] ids = new long[parts.length];
        for (int j = 0; j < parts.length; j++) {
            try {
                ids[j] = Long.parseLong(parts[j].trim());
            } catch (NumberFormatException e) {
                throw usage("--class takes all or comma-separated class ids, got '" + classes + "'");
            }
            if (ids[j] < 0 || ids[j] >= k) {
                throw usage("--class " + ids[j] + " is outside [0, " + (k - 1) + "]: the model has " + k + " classes");
            }
        }
        for (int i = 0; i < n; i++) {
            labels[i] = ids[i % ids.length];
        }
        return labels;
    }

    private static long[] imageShape(UNet2DModel unet) {
        return ModelLoading.imageShape(unet);
    }

    /** x_T: from --noise, or image i = draw i of the seeded noise source. */
    private NDArray initialNoise(NDManager manager, long[] imageShape) throws IOException {
        if (noise != null) {
            NDArray x = Tensors.read(noise, manager);
            long[] s = x.getShape().getShape();
            if (s.length != 4 || s[1] != imageShape[0] || s[2] != imageShape[1] || s[3] != imageShape[2]) {
                throw new IOException(noise + ": x_T has shape " + Arrays.toString(s) + " but the model takes [N, "
                        + imageShape[0] + ", " + imageShape[1] + ", " + imageShape[2] + "]");
            }
            if (numImages != null && numImages != s[0]) {
                throw usage("-n " + numImages + " disagrees with the " + s[0] + " images in " + noise + "; omit -n");
            }
            return x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
        }
        int n = numImages == null ? 64 : numImages;
        return ModelLoading.seededNoise(manager, n, imageShape, seed);
    }

    private Progress progress() {
        boolean show = !noProgress && System.console() != null;
        return show ? Progress.bar(spec.commandLine().getErr()) : Progress.NONE;
    }

    private SamplingRun.Trajectory trajectoryCapture(int n) {
        if (trajectory == null) {
            return null;
        }
        // the GIF follows images of the first batch only
        int k = Math.min(trajectoryImages, Math.min(n, batch));
        return new SamplingRun.Trajectory(k, trajectoryFrames, trajectoryOf.equals("x0"));
    }

    private void writeOutputs(NDManager manager, float[] result, long[] shape, SamplingRun run) throws IOException {
        int n = (int) shape[0];
        int k = scale != null ? scale : (Math.max(shape[2], shape[3]) <= 32 ? 2 : 1);
        if (out != null) {
            int cols = columns != null ? columns : ImageGrid.defaultColumns(n);
            BufferedImage grid = ImageGrid.scale(ImageGrid.grid(result, shape, cols, padding), k);
            ImageGrid.writePng(out, grid);
            written.add(out + " (" + grid.getWidth() + "x" + grid.getHeight() + " grid)");
        }
        if (outDir != null) {
            List<Path> files = ImageGrid.writeEach(outDir, "sample_", result, shape, 0);
            written.add(outDir + "/ (" + files.size() + " PNG files, sample_00000.png … " + files.get(files.size() - 1).getFileName() + ")");
        }
        if (outRaw != null) {
            Tensors.write(outRaw, manager.create(result, new Shape(shape)));
            written.add(outRaw + " (float32 " + Arrays.toString(shape) + ")");
        }
        if (trajectory != null) {
            SamplingRun.Trajectory t = run.trajectory();
            List<BufferedImage> frames = new ArrayList<>();
            long[] frameShape = {t.images(), shape[1], shape[2], shape[3]};
            for (float[] f : t.frames()) {
                frames.add(ImageGrid.scale(ImageGrid.grid(f, frameShape, t.images(), padding), k));
            }
            // hold the final images for a second before the loop restarts
            int hold = frameMs == 0 ? 0 : Math.max(1, 1000 / frameMs);
            for (int i = 0; i < hold; i++) {
                frames.add(frames.get(frames.size() - 1));
            }
            Gif.write(trajectory, frames, frameMs, true);
            written.add(trajectory + " (" + t.frames().size() + " steps shown, " + (trajectoryOf.equals("x0") ? "x0 estimate" : "x_t") + ")");
        }
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
