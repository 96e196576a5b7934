package org.diffusion4j.eval.report;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.eval.FeatureExtractor;
import org.diffusion4j.eval.FeatureStats;
import org.diffusion4j.eval.GaussianStats;
import org.diffusion4j.eval.report.QualityReport.Metric;

/**
 * The classifier-free-guidance trade-off of a class-conditional model: for each guidance scale w
 * (ε̃ = ε(∅) + w(ε(c) − ε(∅)), Ho &amp; Salimans 2022, with w as diffusers' {@code guidance_scale}), the
 * same N images (same x_T, same requested classes) are generated and scored with the Fréchet
 * distance (diversity and fidelity together) and the accuracy of the requested class (fidelity),
 * optionally IS and precision/recall. Real images give the anchors: the FD of real training images
 * (the floor at this N) and the classifier's accuracy on real test images (the ceiling).
 *
 * <p>The loop is here; the caller supplies the images ({@link Generator}). {@link GuidanceSweepReport}
 * writes the table, JSON and chart.
 */
public final class GuidanceSweep {

    /** One guidance scale's scores. */
    public record Point(double guidanceScale, QualityReport.Scores scores, ClassAccuracy.Result accuracy, double seconds) {}

    /** The real-image anchors: FD of real images (the floor) and the accuracy on real labelled images (the ceiling). */
    public record Anchor(String fdDescription, double fd, String accuracyDescription, ClassAccuracy.Result accuracy) {}

    /** Generates the sweep's N images at guidance scale w: float32 [N, C, H, W] in [−1, 1], in {@code manager}. */
    @FunctionalInterface
    public interface Generator {
        NDArray generate(double guidanceScale, NDManager manager) throws IOException;
    }

    /** Progress of a sweep. */
    public interface Listener {
        default void starting(double guidanceScale, int index, int count) {}

        default void finished(Point point) {}
    }

    /** Called after every scale, e.g. to rewrite the report so a stopped sweep keeps what it measured. */
    @FunctionalInterface
    public interface Checkpoint {
        void save(GuidanceSweep sweep) throws IOException;
    }

    /**
     * What scores the images: the feature classifier, the FD reference statistics, the features of real
     * images for precision/recall (null without PR), IS splits and the PR neighbourhood size.
     */
    public record Scoring(FeatureExtractor classifier, GaussianStats reference, NDArray realFeatures, int isSplits, int k) {

        /** The feature metrics and the class accuracy of {@code images} generated for the classes {@code requested}. */
        public Point measure(double guidanceScale, NDArray images, long[] requested, Set<Metric> metrics, double seconds) {
            QualityReport.Scores s = QualityReport.score(classifier, images, reference, realFeatures, metrics, isSplits, k);
            ClassAccuracy.Result a = ClassAccuracy.of(classifier, images, requested, FeatureStats.DEFAULT_BATCH);
            return new Point(guidanceScale, s, a, seconds);
        }
    }

    private final Set<Metric> metrics;
    private final Map<String, Object> settings;
    private final List<Point> points = new ArrayList<>();
    private Anchor anchor;

    /**
     * @param metrics the feature metrics to compute besides FD and class accuracy (FD is always in; NLL does not
     *     depend on the guidance scale and is refused)
     * @param settings what the images are (model, sampler, steps, N, seed, classes, …), recorded in the report
     */
    public GuidanceSweep(Set<Metric> metrics, Map<String, Object> settings) {
        if (metrics.contains(Metric.NLL)) {
            throw new IllegalArgumentException("the NLL bound does not depend on the guidance scale; a guidance sweep "
                    + "measures fd, is and pr only");
        }
        EnumSet<Metric> m = EnumSet.of(Metric.FD);
        m.addAll(metrics);
        this.metrics = Collections.unmodifiableSet(m);
        this.settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    public Set<Metric> metrics() {
        return metrics;
    }

    public Map<String, Object> settings() {
        return settings;
    }

    /** The scales measured so far, in the order run. */
    public List<Point> points() {
        return Collections.unmodifiableList(points);
    }

    public Optional<Anchor> anchor() {
        return Optional.ofNullable(anchor);
    }

    public void setAnchor(Anchor anchor) {
        this.anchor = anchor;
    }

    /** Adds a measured point (e.g. one measured elsewhere, or in a test). */
    public void add(Point p) {
        points.add(p);
    }

    /**
     * Generates and scores the images of every scale in turn, each in its own sub-manager of {@code manager}.
     *
     * @param requested the class each of the N images is generated for (what the generator uses)
     */
    public void run(List<Double> scales, Generator generator, long[] requested, Scoring scoring, NDManager manager,
            Listener listener, Checkpoint checkpoint) throws IOException {
        for (int i = 0; i < scales.size(); i++) {
            double w = scales.get(i);
            listener.starting(w, i, scales.size());
            try (NDManager sub = manager.newSubManager()) {
                long start = System.nanoTime();
                NDArray images = generator.generate(w, sub);
                double seconds = (System.nanoTime() - start) / 1e9;
                Point p = scoring.measure(w, images, requested, metrics, seconds);
                points.add(p);
                listener.finished(p);
            }
            checkpoint.save(this);
        }
    }

    /** The point of lowest FD (empty before any). */
    public Optional<Point> lowestFd() {
        return points.stream().min((a, b) -> Double.compare(a.scores().fd(), b.scores().fd()));
    }

    /** The point of highest class accuracy (empty before any). */
    public Optional<Point> highestAccuracy() {
        return points.stream().max((a, b) -> Double.compare(a.accuracy().accuracy(), b.accuracy().accuracy()));
    }
}
