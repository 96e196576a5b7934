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
import org.diffusion4j.io.Gif;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.io.Tensors;
import org.diffusion4j.pipeline.BatchedSampling;
import org.diffusion4j.pipeline.ClassCondition;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.ModelClasses;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;
import org.diffusion4j.sampling.Sampler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
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
            "  diffusion4j sample                   # bundled model -> samples.png",
            "  diffusion4j sample --model runs/my-model --sampler ddpm -n 16 --seed 1",
            "  diffusion4j sample --class sneaker,bag --guidance 3   # a class-conditional model: a row of 8 per class",
            "  diffusion4j sample --steps 20 --out-dir out/ --trajectory steps.gif",
            ""})
final class SampleCommand implements Callable<Integer> {

    /** Where the bundled model lives, relative to the repository root. */
    static final String DEFAULT_MODEL = ModelLoading.DEFAULT_MODEL;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder (diffusers layout: unet/, scheduler/). Default: <repo>/" + DEFAULT_MODEL + ".")
    Path model;

    @Mixin
    SamplingOptions.Choice choice;

    @Mixin
    SamplingOptions.Overrides overrides;

    @Mixin
    SamplingOptions.Conditioning conditioning;

    @Option(names = "--prompt", paramLabel = "TEXT",
            description = "Text-conditional models (StableDiffusionPipeline folders): a prompt; repeat for several, one grid row each.")
    List<String> prompt;

    @Option(names = "--prompts", paramLabel = "FILE", description = "Text-conditional models: prompts, one per line (blank lines skipped).")
    Path promptsFile;

    @Option(names = "--negative-prompt", paramLabel = "TEXT",
            description = "Text-conditional models: the null condition of guidance, eps(neg) + w (eps(text) - eps(neg)) (default: \"\").")
    String negativePrompt;

    @Option(names = {"-n", "--num-images"}, paramLabel = "N",
            description = "Number of images (default: 64, or the count in --noise; a class-conditional model: 8 per --class, one row each).")
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

    @Option(names = "--columns", paramLabel = "C",
            description = "Grid columns (default: the square root of N, rounded up; " + PER_ROW + " in the one-row-per-class grid).")
    Integer columns;

    @Option(names = "--no-row-labels", description = "Do not write the class to the left of each row of the one-row-per-class grid.")
    boolean noRowLabels;

    @Option(names = "--padding", defaultValue = "2", paramLabel = "P", description = "Pixels between grid images (default: ${DEFAULT-VALUE}).")
    int padding;

    @Option(names = "--scale", paramLabel = "K", description = "Upscale the grid and GIF by K (default: 2 for images of 32 px or less, else 1).")
    Integer scale;

    @Mixin
    SamplingOptions.Cascade cascade;

    @Option(names = "--no-progress", description = "Do not show the progress bar.")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    /** Images per row of the one-row-per-class grid. */
    static final int PER_ROW = 8;

    @Override
    public Integer call() throws IOException {
        validateCounts();
        Path dir = ModelLoading.modelDir(model);
        Sampler s = choice.create(DiffusionPipeline.readScheduler(dir), overrides);
        if (out == null && outDir == null) {
            out = Path.of("samples.png");
        }
        PrintWriter o = spec.commandLine().getOut();
        try (NDManager manager = NDManager.newBaseManager(); DiffusionPipeline pipeline = DiffusionPipeline.load(dir, manager)) {
            if (pipeline.isText()) {
                sampleText(pipeline, manager, s, dir, o);
                o.flush();
                return 0;
            }
            if (prompt != null || promptsFile != null || negativePrompt != null) {
                throw usage("--prompt: " + dir + " is not a text-conditional model (no StableDiffusionPipeline model_index.json); "
                        + "use --class for a class-conditional model");
            }
            ModelClasses classes = pipeline.classes();
            long[] requested = conditioning.requested(classes);
            double w = conditioning.scale(classes);
            long[] imageShape = pipeline.imageShape();
            Layout layout = layout(requested);
            String tooMany = noise == null ? BatchedSampling.tooMany(count(layout), imageShape, Runtime.getRuntime().maxMemory())
                    : null;
            if (tooMany != null) {
                throw usage(tooMany);
            }
            NDArray xT = initialNoise(manager, imageShape, layout);
            int n = (int) xT.getShape().get(0);
            long[] labels = requested == null ? null
                    : layout.byRow() ? ModelClasses.byRow(n, layout.perRow(), requested) : ModelClasses.cycle(n, requested);
            SampleRequest request = new SampleRequest(n, seed, choice.sampler, choice.steps, overrides::apply, labels,
                    classes.conditional() ? w : null, batch);
            Trajectory trajectory = trajectoryCapture(n);
            long start = System.nanoTime();
            SampledImages images = pipeline.sample(request, xT, progress().listener(trajectory));
            double seconds = (System.nanoTime() - start) / 1e9;
            SampledImages base = images;
            images = upscaled(images, manager, o);
            long[] shape = images.shape();
            writeOutputs(manager, images.values(), shape, trajectory, layout, rowLabels(classes, labels, layout, n));
            shape = base.shape();
            o.printf(Locale.ROOT, "%d images %dx%d from %s with %s (%d steps, %d network evaluations per image), seed %d, in %.1f s (%.2f images/s)%n",
                    n, shape[3], shape[2], dir, s.name(), base.steps(), s.evaluations(), seed, seconds, n / seconds);
            if (upscaleLine != null) {
                o.println(upscaleLine);
            }
            if (requested != null) {
                o.println(conditionLine(classes, requested, layout, base.condition()));
            }
            for (String f : written) {
                o.println("wrote " + f);
            }
        }
        o.flush();
        return 0;
    }

    private final List<String> written = new ArrayList<>();

    /** A text-conditional model: one row of -n images (default 8) per prompt, the prompts as row labels. */
    private void sampleText(DiffusionPipeline pipeline, NDManager manager, Sampler s, Path dir, PrintWriter o) throws IOException {
        List<String> prompts = new ArrayList<>(prompt == null ? List.of() : prompt);
        if (promptsFile != null) {
            for (String line : java.nio.file.Files.readAllLines(promptsFile)) {
                if (!line.isBlank()) {
                    prompts.add(line.strip());
                }
            }
        }
        if (prompts.isEmpty()) {
            throw usage("--prompt: " + dir + " is a text-conditional model; give --prompt TEXT (or --prompts FILE)");
        }
        if (conditioning.classes != null) {
            throw usage("--class: the model is text-conditional; give --prompt instead");
        }
        Double w = null;
        if (conditioning.guidance != null) {
            if (conditioning.guidance.size() != 1 || conditioning.guidance.get(0) == null || !(conditioning.guidance.get(0) >= 0)) {
                throw usage("--guidance takes one finite scale >= 0 here, got " + conditioning.guidance);
            }
            w = conditioning.guidance.get(0);
        }
        long[] latent = pipeline.latentShape();
        int per = numImages == null ? PER_ROW : numImages;
        int n = per * prompts.size();
        String tooMany = noise == null ? BatchedSampling.tooMany(n, pipeline.imageShape(), Runtime.getRuntime().maxMemory()) : null;
        if (tooMany != null) {
            throw usage(tooMany);
        }
        for (String p : pipeline.truncatedPrompts(prompts)) {
            spec.commandLine().getErr().println("warning: the prompt \"" + p + "\" is longer than the model's context and is cut");
        }
        NDArray xT;
        List<String> perImage = new ArrayList<>();
        Layout layout;
        if (noise != null) {
            xT = Tensors.read(noise, manager);
            long[] sh = xT.getShape().getShape();
            if (sh.length != 4 || sh[1] != latent[0] || sh[2] != latent[1] || sh[3] != latent[2]) {
                throw new IOException(noise + ": x_T has shape " + java.util.Arrays.toString(sh) + " but the model takes [N, "
                        + latent[0] + ", " + latent[1] + ", " + latent[2] + "]");
            }
            n = (int) sh[0];
            perImage = prompts;
            layout = new Layout(false, 0, 0);
        } else {
            xT = BatchedSampling.seededNoise(manager, n, latent, seed);
            for (String p : prompts) {
                for (int i = 0; i < per; i++) {
                    perImage.add(p);
                }
            }
            layout = new Layout(true, per, prompts.size());
        }
        SampleRequest request = new SampleRequest(n, seed, choice.sampler, choice.steps, overrides::apply, null, w, batch, perImage,
                negativePrompt == null ? null : List.of(negativePrompt));
        Trajectory t = trajectoryCapture(n);
        long start = System.nanoTime();
        SampledImages images = pipeline.sample(request, xT, progress().listener(t));
        double seconds = (System.nanoTime() - start) / 1e9;
        if (t != null) {
            // a latent model's frames are latents: each through the VAE, as its final images
            t.frames().replaceAll(f -> pipeline.decode(f, t.images()));
        }
        SampledImages base = images;
        images = upscaled(images, manager, o);
        long[] shape = images.shape();
        writeOutputs(manager, images.values(), shape, t, layout, layout.byRow() && !noRowLabels ? prompts : null);
        shape = base.shape();
        o.printf(Locale.ROOT, "%d images %dx%d from %s with %s (%d steps, %d network evaluations per image), seed %d, in %.1f s (%.2f images/s)%n",
                n, shape[3], shape[2], dir, s.name(), base.steps(), s.evaluations(), seed, seconds, n / seconds);
        if (upscaleLine != null) {
            o.println(upscaleLine);
        }
        o.printf(Locale.ROOT, "prompts: %s; negative prompt \"%s\"; guidance w = %s (eps(neg) + w (eps(text) - eps(neg)), both in one batch)%n",
                prompts, negativePrompt == null ? "" : negativePrompt, w == null ? pipeline.defaultGuidance() + " (the model's default)" : w.toString());
        for (String f : written) {
            o.println("wrote " + f);
        }
    }

    private String upscaleLine;

    /** With --upscale, the images enlarged by the super-resolution stage (image i from image i, noise from --seed); else them. */
    private SampledImages upscaled(SampledImages base, NDManager manager, PrintWriter o) throws IOException {
        SamplingOptions.Cascade.Upscaled u = cascade.apply(base, manager, seed, choice, overrides, batch, progress().listener(null));
        upscaleLine = u.line();
        return u.images();
    }

    private void validateCounts() {
        if (cascade.given() && trajectory != null) {
            throw usage("--trajectory shows one model's steps; leave it out with --upscale");
        }
        if (numImages != null && numImages < 1) {
            throw usage("-n must be at least 1, got " + numImages);
        }
        if (batch < 1) {
            throw usage("--batch must be at least 1, got " + batch);
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

    /**
     * How the images are laid out: a class-conditional model without -n or --noise makes one row of
     * {@value #PER_ROW} (or --columns) images per requested class — all K classes by default, and 8 rows
     * for a single class; otherwise the images take the requested classes in turn.
     */
    record Layout(boolean byRow, int perRow, int rows) {}

    private Layout layout(long[] requested) {
        if (requested == null || numImages != null || noise != null) {
            return new Layout(false, 0, 0);
        }
        int perRow = columns != null ? columns : PER_ROW;
        return new Layout(true, perRow, requested.length == 1 ? 8 : requested.length);
    }

    /** The label of every grid row (null when the rows are not one class each or labels are off). */
    private List<String> rowLabels(ModelClasses classes, long[] labels, Layout layout, int n) {
        if (!layout.byRow() || noRowLabels || labels == null) {
            return null;
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i += layout.perRow()) {
            out.add(classes.label(labels[i]));
        }
        return out;
    }

    private static String conditionLine(ModelClasses classes, long[] requested, Layout layout, ClassCondition c) {
        String which = requested.length == classes.count() && layout.byRow() ? "one row per class" : requested.length == 1
                ? "class " + classes.label(requested[0]) : "classes " + Arrays.stream(requested).mapToObj(classes::label).toList()
                + (layout.byRow() ? ", one row each" : ", in turn");
        String w = c.guidanceScale() == 1 ? "conditional (w = 1)" : c.guidanceScale() == 0 ? "unconditional (w = 0, the null class)"
                : String.format(Locale.ROOT, "w = %s (eps(null) + w (eps(c) - eps(null)), both in one batch of 2 x the images)",
                        java.math.BigDecimal.valueOf(c.guidanceScale()).stripTrailingZeros().toPlainString());
        return "classes: " + which + " of " + classes.describe() + "; guidance " + w;
    }

    /** x_T: from --noise, or image i = draw i of the seeded noise source. */
    private NDArray initialNoise(NDManager manager, long[] imageShape, Layout layout) throws IOException {
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
        return BatchedSampling.seededNoise(manager, count(layout), imageShape, seed);
    }

    /** The number of seeded images to draw. */
    private int count(Layout layout) {
        return layout.byRow() ? layout.perRow() * layout.rows() : numImages == null ? 64 : numImages;
    }

    private Progress progress() {
        boolean show = !noProgress && System.console() != null;
        return show ? Progress.bar(spec.commandLine().getErr()) : Progress.NONE;
    }

    private Trajectory trajectoryCapture(int n) {
        if (trajectory == null) {
            return null;
        }
        // the GIF follows images of the first batch only
        int k = Math.min(trajectoryImages, Math.min(n, batch));
        return new Trajectory(k, trajectoryFrames, trajectoryOf.equals("x0"));
    }

    private void writeOutputs(NDManager manager, float[] result, long[] shape, Trajectory t, Layout layout, List<String> rowLabels)
            throws IOException {
        int n = (int) shape[0];
        int k = scale != null ? scale : (Math.max(shape[2], shape[3]) <= 32 ? 2 : 1);
        if (out != null) {
            int cols = layout.byRow() ? layout.perRow() : columns != null ? columns : ImageGrid.defaultColumns(n);
            BufferedImage grid = ImageGrid.scale(ImageGrid.grid(result, shape, cols, padding), k);
            if (rowLabels != null) {
                grid = RowLabels.draw(grid, rowLabels, (int) shape[2] * k, padding * k);
            }
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
