package org.diffusion4j.cli;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.diffusion4j.data.ImageFiles;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.ImageEdit;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * What {@code edit} (SDEdit) and {@code inpaint} share: the model, the image, the conditioning, how many variations,
 * and the output — a strip of the original, what the method sees (the masked original for inpainting) and the
 * results, plus each result as a PNG with {@code --out-dir}. The edit itself is {@link #edit}.
 */
abstract class EditingCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model folder (diffusers layout). Default: <repo>/" + ModelLoading.DEFAULT_MODEL + ".")
    Path model;

    @Option(names = "--image", required = true, paramLabel = "FILE",
            description = "The image to edit (PNG or JPEG; converted to the model's channels and resized to its size).")
    Path image;

    @Mixin
    SamplingOptions.Choice choice;

    @Mixin
    SamplingOptions.Overrides overrides;

    @Mixin
    SamplingOptions.Conditioning conditioning;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Text-conditional models: the prompt.")
    String prompt;

    @Option(names = "--negative-prompt", paramLabel = "TEXT", description = "Text-conditional models: the null condition of guidance.")
    String negativePrompt;

    @Option(names = {"-n", "--num-images"}, defaultValue = "4", paramLabel = "N",
            description = "Results, each from its own noise (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "B", description = "Images per network call (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--out", paramLabel = "FILE", description = "The strip: original, input, results (default: ${COMMAND-NAME}.png).")
    Path out;

    @Option(names = "--out-dir", paramLabel = "DIR", description = "Also write each result as DIR/edit_00000.png, …")
    Path outDir;

    @Option(names = "--scale", paramLabel = "K", description = "Upscale the strip by K (default: 2 for images of 32 px or less, else 1).")
    Integer scale;

    @Option(names = "--no-progress", description = "Do not show the progress bar.")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    /** The edit of {@code original} ({@code shape} = {1, C, H, W}, the model's range). */
    abstract ImageEdit edit(float[] original, long[] shape);

    /** The sampler when --sampler is not given (null: the pipeline's default). */
    String defaultSampler() {
        return null;
    }

    /** The steps when --steps is not given, for a model of T training steps (null: the pipeline's default). */
    Integer defaultSteps(int numTrainTimesteps) {
        return null;
    }

    /** What the method is shown as, e.g. {@code SDEdit at strength 0.6}. */
    abstract String describe(ImageEdit edit);

    @Override
    public Integer call() throws IOException {
        if (n < 1 || batch < 1) {
            throw usage("-n and --batch must be at least 1, got " + n + " and " + batch);
        }
        if (scale != null && (scale < 1 || scale > 16)) {
            throw usage("--scale must be in [1, 16], got " + scale);
        }
        Path dir = ModelLoading.modelDir(model);
        Path strip = out != null ? out : Path.of(spec.name() + ".png");
        PrintWriter o = spec.commandLine().getOut();
        try (NDManager manager = NDManager.newBaseManager(); DiffusionPipeline pipe = DiffusionPipeline.load(dir, manager)) {
            long[] image = pipe.imageShape();
            long[] shape = {1, image[0], image[1], image[2]};
            float[] original = ImageFiles.readForModel(this.image, (int) image[0], (int) image[1], (int) image[2]);
            ImageEdit edit;
            SampleRequest request;
            int evaluations;
            try {
                edit = edit(original, shape);
                Integer steps = choice.steps != null ? choice.steps : defaultSteps(pipe.scheduler().numTrainTimesteps());
                request = conditioned(pipe, new SampleRequest(n, seed, choice.sampler != null ? choice.sampler : defaultSampler(),
                        steps, overrides::apply, null, null, batch)).withEdit(edit);
                evaluations = pipe.evaluations(request);
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            long start = System.nanoTime();
            SampledImages result = pipe.sample(request, progress());
            double seconds = (System.nanoTime() - start) / 1e9;
            writeStrip(strip, original, edit, result);
            o.printf(Locale.ROOT, "%d results of %s (%dx%d) with %s, %s %d steps, %d network evaluations per image, seed %d, in %.1f s%n",
                    n, this.image, image[2], image[1], describe(edit), result.sampler().name(), result.steps(), evaluations, seed, seconds);
            if (edit.inpaints()) {
                o.printf(Locale.ROOT, "known region kept: largest 8-bit difference from the original %d%n", knownDifference(original, edit, result));
            }
            o.println("wrote " + strip);
            if (outDir != null) {
                List<Path> files = ImageGrid.writeEach(outDir, "edit_", result.values(), result.shape(), 0);
                o.println("wrote " + outDir + "/ (" + files.size() + " PNG files)");
            }
        }
        o.flush();
        return 0;
    }

    /** The request with the model's conditioning: a prompt for a text model, a class (and guidance) for a class model. */
    private SampleRequest conditioned(DiffusionPipeline pipe, SampleRequest r) {
        Double w = null;
        if (conditioning.guidance != null) {
            if (conditioning.guidance.size() != 1) {
                throw usage("--guidance takes one scale here, got " + conditioning.guidance);
            }
            w = conditioning.guidance.get(0);
        }
        if (pipe.isText()) {
            if (prompt == null) {
                throw usage("--prompt: " + pipe.folder() + " is a text-conditional model; give --prompt TEXT");
            }
            r = r.withPrompts(List.of(prompt));
            r = negativePrompt == null ? r : r.withNegativePrompts(List.of(negativePrompt));
            return w == null ? r : r.withGuidance(w);
        }
        if (prompt != null || negativePrompt != null) {
            throw usage("--prompt: " + pipe.folder() + " is not a text-conditional model; use --class for a class-conditional one");
        }
        long[] classes = conditioning.requested(pipe.classes());
        if (classes != null) {
            r = r.withClasses(classes);
        }
        return w == null ? r : r.withGuidance(w);
    }

    /** original | the method's input (the masked original when inpainting) | results, one row. */
    private void writeStrip(Path file, float[] original, ImageEdit edit, SampledImages result) throws IOException {
        long[] s = result.shape();
        int per = (int) (s[1] * s[2] * s[3]);
        int head = edit.inpaints() ? 2 : 1;
        float[] all = new float[(head + n) * per];
        System.arraycopy(original, 0, all, 0, per);
        if (edit.inpaints()) {
            int plane = (int) (s[2] * s[3]);
            for (int i = 0; i < per; i++) {
                all[per + i] = edit.mask()[i % plane] > 0 ? 0f : original[i]; // the region to repaint in mid grey
            }
        }
        System.arraycopy(result.values(), 0, all, head * per, n * per);
        long[] shape = {head + n, s[1], s[2], s[3]};
        int k = scale != null ? scale : (Math.max(s[2], s[3]) <= 32 ? 2 : 1);
        BufferedImage strip = ImageGrid.scale(ImageGrid.grid(all, shape, head + n, 2), k);
        ImageGrid.writePng(file, strip);
    }

    /** The largest difference, in 8-bit levels, between a result and the original where the mask keeps the original. */
    private static int knownDifference(float[] original, ImageEdit edit, SampledImages result) {
        long[] s = result.shape();
        int per = (int) (s[1] * s[2] * s[3]);
        int plane = (int) (s[2] * s[3]);
        int worst = 0;
        for (int img = 0; img < s[0]; img++) {
            for (int i = 0; i < per; i++) {
                if (edit.mask()[i % plane] == 0) {
                    worst = Math.max(worst, Math.abs(ImageGrid.toByte(result.values()[img * per + i]) - ImageGrid.toByte(original[i])));
                }
            }
        }
        return worst;
    }

    private org.diffusion4j.pipeline.SampleListener progress() {
        boolean show = !noProgress && System.console() != null;
        return (show ? Progress.bar(spec.commandLine().getErr()) : Progress.NONE).listener(null);
    }

    ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
