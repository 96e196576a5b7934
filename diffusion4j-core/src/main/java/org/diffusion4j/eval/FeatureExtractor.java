package org.diffusion4j.eval;

import ai.djl.ndarray.NDArray;

/**
 * A network that maps images to feature vectors for distribution metrics (Fréchet distance,
 * precision/recall) and, optionally, to class posteriors p(y|x) for the Inception Score.
 *
 * <p>Images are float32 NCHW in [-1, 1], the range diffusion models sample in. An implementation
 * that needs another range or size (Inception-v3 at 299×299 in [0, 1], CLIP at 224×224) converts
 * inside. Results are attached to the manager of {@code images}; intermediates must not outlive the
 * call. Implementations need not be thread-safe.
 */
public interface FeatureExtractor {

    /** A short name recorded next to statistics, e.g. {@code "fashion-classifier"}. */
    String name();

    /** D, the length of one feature vector. */
    int featureDim();

    /**
     * Features of a batch.
     *
     * @param images float32 (N, C, H, W) in [-1, 1]
     * @return float32 (N, D), attached to {@code images.getManager()}
     */
    NDArray features(NDArray images);

    /** Whether {@link #classProbabilities(NDArray)} is available. */
    default boolean hasClassifier() {
        return false;
    }

    /**
     * Class posteriors p(y|x) of a batch (rows sum to 1), for the Inception Score.
     *
     * @param images float32 (N, C, H, W) in [-1, 1]
     * @return float32 (N, numClasses), attached to {@code images.getManager()}
     * @throws UnsupportedOperationException when the extractor has no classification head
     */
    default NDArray classProbabilities(NDArray images) {
        throw new UnsupportedOperationException(
                name() + " has no classification head; use an extractor with hasClassifier() == true"
                        + " (e.g. FashionClassifier) for the Inception Score");
    }
}
