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
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;
import org.diffusion4j.pipeline.SuperResolution;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code diffusion4j upscale}: a cascade's super-resolution stage (SR3, CDM) applied to a small image. */
@Command(name = "upscale", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Enlarge an image with a super-resolution model (a cascade's second stage).",
            "",
            "  diffusion4j upscale --model runs/sr --image small.png -n 4",
            "  diffusion4j upscale --model runs/sr --image small.png --noise-level 100 --sampler dpm-solver++ --steps 20",
            ""})
final class UpscaleCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "A super-resolution model folder (train --config with sr_factor).")
    Path model;

    @Option(names = "--image", required = true, paramLabel = "FILE",
            description = "The small image (PNG/JPEG; resized to the model's input size, 1/factor of its output).")
    Path image;

    @Mixin
    SamplingOptions.Choice choice;

    @Mixin
    SamplingOptions.Overrides overrides;

    @Option(names = "--noise-level", paramLabel = "S",
            description = "Conditioning augmentation level of the input, -1 for none (default: half the largest level the model "
                    + "was trained with).")
    Integer noiseLevel;

    @Option(names = {"-n", "--num-images"}, defaultValue = "4", paramLabel = "N", description = "Results (default: ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--out", defaultValue = "upscaled.png", paramLabel = "FILE",
            description = "The strip: the input enlarged by repeating pixels, then the results (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--out-dir", paramLabel = "DIR", description = "Also write each result as DIR/upscaled_00000.png, …")
    Path outDir;

    @Option(names = "--no-progress", description = "Do not show the progress bar.")
    boolean noProgress;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (n < 1) {
            throw usage("-n must be at least 1, got " + n);
        }
        PrintWriter o = spec.commandLine().getOut();
        try (NDManager manager = NDManager.newBaseManager(); DiffusionPipeline pipe = DiffusionPipeline.load(model, manager)) {
            SuperResolution sr = pipe.superResolution();
            if (sr == null) {
                throw usage("--model " + model + " is not a super-resolution model (train one with a config that sets sr_factor)");
            }
            long[] big = pipe.imageShape();
            int f = sr.factor();
            long[] lowShape = {1, big[0], big[1] / f, big[2] / f};
            float[] low = ImageFiles.readForModel(image, (int) big[0], (int) lowShape[2], (int) lowShape[3]);
            int level = noiseLevel != null ? noiseLevel : sr.maxNoiseLevel() / 2;
            SampleRequest request = new SampleRequest(n, seed, choice.sampler, choice.steps, overrides::apply, null, null, 64);
            long start = System.nanoTime();
            SampledImages result;
            try {
                result = pipe.upscale(low, lowShape, level, request, Progress.NONE.listener(null));
            } catch (IllegalArgumentException e) {
                throw usage(e.getMessage());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            int per = (int) (big[0] * big[1] * big[2]);
            float[] all = new float[(n + 1) * per];
            try (NDManager m = manager.newSubManager()) {
                float[] enlarged = org.diffusion4j.diffusion.LowResolution.upsample(m.create(low, new ai.djl.ndarray.types.Shape(lowShape)), f)
                        .toFloatArray();
                System.arraycopy(enlarged, 0, all, 0, per);
            }
            System.arraycopy(result.values(), 0, all, per, n * per);
            BufferedImage strip = ImageGrid.scale(ImageGrid.grid(all, new long[] {n + 1, big[0], big[1], big[2]}, n + 1, 2),
                    big[1] <= 32 ? 2 : 1);
            ImageGrid.writePng(out, strip);
            o.printf(Locale.ROOT, "%d upscalings of %s (%dx%d -> %dx%d) with %s %d steps, input noise level %d, seed %d, in %.1f s%n", n, image,
                    lowShape[3], lowShape[2], big[2], big[1], result.sampler().name(), result.steps(), level, seed, seconds);
            o.println("wrote " + out);
            if (outDir != null) {
                List<Path> files = ImageGrid.writeEach(outDir, "upscaled_", result.values(), result.shape(), 0);
                o.println("wrote " + outDir + "/ (" + files.size() + " PNG files)");
            }
        }
        o.flush();
        return 0;
    }

    private ParameterException usage(String message) {
        return new ParameterException(spec.commandLine(), message);
    }
}
