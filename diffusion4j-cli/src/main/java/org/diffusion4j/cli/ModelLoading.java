package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.diffusion4j.eval.classifier.FashionClassifier;
import org.diffusion4j.pipeline.DiffusionPipeline;

/** Where the commands find their folders: the model (the bundled one by default) and the metrics' classifier. */
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
    static void checkGray28(DiffusionPipeline pipeline) {
        long[] s = pipeline.imageShape();
        if (s[0] != 1 || s[1] != FashionClassifier.IMAGE_SIZE || s[2] != FashionClassifier.IMAGE_SIZE) {
            throw new IllegalArgumentException(pipeline.folder() + ": the model makes " + s[0] + "x" + s[1] + "x" + s[2]
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
        DiffusionPipeline.checkFolder(dir);
        return dir;
    }
}
