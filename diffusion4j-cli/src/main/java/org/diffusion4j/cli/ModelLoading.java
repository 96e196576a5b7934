package org.diffusion4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.Evaluation;

/** Where the commands find their folders: the model (the bundled one by default) and the metrics' classifier. */
final class ModelLoading {

    /** Where the bundled model lives, relative to the repository root. */
    static final String DEFAULT_MODEL = "models/fashion-mnist-ddpm";

    /** Where the feature network of the sample-quality metrics lives, relative to the repository root. */
    static final String DEFAULT_CLASSIFIER = "models/fashion-classifier";

    private ModelLoading() {}

    /** The classifier folder: {@code dir}, or the shipped one under the repository root when null. */
    static Path classifierDir(Path dir) throws IOException {
        return Evaluation.checkClassifierFolder(dir != null ? dir : RepoRoot.find().resolve(DEFAULT_CLASSIFIER));
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
