package org.diffusion4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * All sample-quality numbers of a set of generated images in one call: Fréchet distance to
 * reference statistics, the Inception-Score analogue, and (when real images are given) improved
 * precision and recall. Every metric uses the same {@link FeatureExtractor}.
 */
public final class SampleQuality {

    /**
     * The report. {@code fd} is d² (the "FID" convention); {@code isMean}/{@code isStd} are NaN when
     * the extractor has no classifier; precision/recall are NaN when no real images were given.
     */
    public record Report(int samples, double fd, double isMean, double isStd, double precision,
                         double recall) {}

    private SampleQuality() {}

    /**
     * Evaluates {@code generated} (N, C, H, W) in [-1, 1].
     *
     * @param reference statistics of the real data under the same extractor
     * @param real real images for precision/recall (at least k+1 = 4), or null to skip them
     * @param splits Inception-Score splits (10 in the reference code; must not exceed N)
     */
    public static Report evaluate(FeatureExtractor extractor, NDArray generated, GaussianStats reference,
                                  NDArray real, int splits) {
        try (NDManager sub = generated.getManager().newSubManager()) {
            NDArray features = FeatureStats.features(extractor, generated, FeatureStats.DEFAULT_BATCH);
            features.attach(sub);
            double fd = FrechetDistance.squared(reference, GaussianStats.of(features));
            double isMean = Double.NaN, isStd = Double.NaN;
            if (extractor.hasClassifier()) {
                NDArray p = FeatureStats.classProbabilities(extractor, generated, FeatureStats.DEFAULT_BATCH);
                p.attach(sub);
                InceptionScore.Result is = InceptionScore.compute(p, splits);
                isMean = is.mean();
                isStd = is.std();
            }
            double precision = Double.NaN, recall = Double.NaN;
            if (real != null) {
                NDArray realFeatures = FeatureStats.features(extractor, real, FeatureStats.DEFAULT_BATCH);
                realFeatures.attach(sub);
                PrecisionRecall.Result pr = PrecisionRecall.compute(realFeatures, features);
                precision = pr.precision();
                recall = pr.recall();
            }
            return new Report((int) generated.getShape().get(0), fd, isMean, isStd, precision, recall);
        }
    }
}
