package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.nn.FashionClassifier;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.SchedulerConfig;

/**
 * What the commands that run a model share: finding the model folder (the bundled one by default),
 * reading its scheduler config, the seeded x_T, and sampling N images the way {@code sample} does
 * (image i from draw i of {@code NoiseSource.seeded(seed)}, with a sampler-noise stream of its own).
 */
final class ModelLoading {

    /** Where the bundled model lives, relative to the repository root. */
    static final String DEFAULT_MODEL = "models/fashion-mnist-ddpm";

    /** Where the feature network of the sample-quality metrics lives, relative to the repository root. */
    static final String DEFAULT_CLASSIFIER = "models/fashion-classifier";

    /** The Fashion-MNIST test-set feature statistics inside the classifier folder. */
    static final String TEST_STATS_FILE = "fmnist_test_stats.safetensors";

    private ModelLoading() {}

    /** The classifier folder: {@code dir}, or the shipped one under the repository root when null. */
    static Path classifierDir(Path dir) throws IOException {
        Path d = dir != null ? dir : RepoRoot.find().resolve(DEFAULT_CLASSIFIER);
        for (String f : new String[] {FashionClassifier.CONFIG_FILE, FashionClassifier.WEIGHTS_FILE, TEST_STATS_FILE}) {
            if (!Files.isRegularFile(d.resolve(f))) {
                throw new NoSuchFileException(d.resolve(f).toString(), null, "not a feature-classifier folder: it needs "
                        + FashionClassifier.CONFIG_FILE + ", " + FashionClassifier.WEIGHTS_FILE + " and " + TEST_STATS_FILE
                        + " (the shipped one is <repo>/" + DEFAULT_CLASSIFIER + "; pass --classifier DIR)");
            }
        }
        return d;
    }

    /** Refuses a model whose images the Fashion-MNIST metrics cannot score (they need 1x28x28). */
    static void checkGray28(UNet2DModel unet, Path dir) {
        long[] s = imageShape(unet);
        if (s[0] != 1 || s[1] != FashionClassifier.IMAGE_SIZE || s[2] != FashionClassifier.IMAGE_SIZE) {
            throw new IllegalArgumentException(dir + ": the model makes " + s[0] + "x" + s[1] + "x" + s[2]
                    + " images, but the Fashion-MNIST metrics score 1x28x28 gray images only");
        }
    }

    /** The model folder: {@code model}, or the bundled one under the repository root when null. */
    static Path modelDir(Path model) throws IOException {
        Path dir = model;
        if (dir == null) {
            dir = RepoRoot.find().resolve(DEFAULT_MODEL);
            if (!Files.isDirectory(dir)) {
                throw new NoSuchFileException(dir.toString(), null, "the bundled model is not installed; "
                        + "pass --model DIR with a diffusers-layout model folder (e.g. one written by 'diffusion4j train')");
            }
        }
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such model folder");
        }
        Path unet = dir.resolve("unet");
        if (!Files.isRegularFile(unet.resolve(UNet2DModel.CONFIG_FILE))) {
            throw new NoSuchFileException(unet.resolve(UNet2DModel.CONFIG_FILE).toString(), null,
                    "not a model folder: expected unet/config.json and unet/" + UNet2DModel.WEIGHTS_FILE + " (diffusers layout)");
        }
        return dir;
    }

    /** {@code dir/scheduler/scheduler_config.json}, parsed. */
    static SchedulerConfig schedulerConfig(Path dir) throws IOException {
        Path file = dir.resolve("scheduler").resolve("scheduler_config.json");
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "missing scheduler config; a diffusers model folder has scheduler/scheduler_config.json");
        }
        return SchedulerConfig.read(file);
    }

    /** The shape of one image the UNet makes: {C, H, W}. */
    static long[] imageShape(UNet2DModel unet) {
        int size = unet.config().sampleSize();
        return new long[] {unet.config().inChannels(), size, size};
    }

    /** x_T for n images: image i is draw i of {@code NoiseSource.seeded(seed)}, shape [n, C, H, W]. */
    static NDArray seededNoise(NDManager manager, int n, long[] imageShape, long seed) {
        NoiseSource source = NoiseSource.seeded(seed);
        List<NDArray> draws = new ArrayList<>(n);
        Shape one = new Shape(1, imageShape[0], imageShape[1], imageShape[2]);
        for (int i = 0; i < n; i++) {
            draws.add(source.normal(manager, one, i));
        }
        NDArray xT = NDArrays.concat(new NDList(draws), 0);
        draws.forEach(NDArray::close);
        return xT;
    }

    /**
     * Samples n images with {@code sampler} from the seeded x_T, in batches, and returns them as NCHW
     * floats (unclamped). {@code condition} gives each image its class and the guidance scale.
     */
    static float[] generate(UNet2DModel unet, SchedulerConfig config, Sampler sampler, ClassCondition condition, int n,
            long seed, int batch, Progress progress, NDManager manager) {
        if (condition.labels() != null && condition.labels().length != n) {
            throw new IllegalArgumentException(condition.labels().length + " class labels for " + n + " images");
        }
        String tooMany = SamplingRun.tooMany(n, imageShape(unet), Runtime.getRuntime().maxMemory());
        if (tooMany != null) {
            throw new IllegalArgumentException(tooMany);
        }
        try (NDManager sub = manager.newSubManager()) {
            NDArray xT = seededNoise(sub, n, imageShape(unet), seed);
            return new SamplingRun(sampler, condition.denoisers(unet, config.predictionType()), seed, batch, progress, null)
                    .sample(xT);
        }
    }

    /** The classes of the model in {@code dir} (whose UNet is {@code unet}); a bad id2label is an IOException. */
    static ModelClasses classes(Path dir, UNet2DModel unet) throws IOException {
        return ModelClasses.read(dir, unet.config());
    }
}
