package org.diffusion4j.spark;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.TreeSet;
import org.diffusion4j.eval.ClassAccuracy;
import org.diffusion4j.pipeline.ShapesEvaluation;

/**
 * What one partition returns, and what {@code treeAggregate} merges them into: counts, the feature
 * sufficient statistics (n, Σx, Σxxᵀ, summed exactly — {@link FeatureSums}), the class confusion
 * counts, and the executors' time. Every field adds up, exactly, so the merge order changes nothing.
 */
public final class PartitionStats implements Serializable {

    private static final long serialVersionUID = 1L;

    long images;
    long files;
    long partitions;
    double loadSeconds;
    double sampleSeconds;
    double scoreSeconds;
    FeatureSums features;
    /** confusion[requested][predicted], or null when class accuracy is not measured. */
    long[][] confusion;
    final TreeSet<String> hosts = new TreeSet<>();
    /** A text model's shapes-analyzer counts (their clipSum unused), or null when not measured. */
    ShapesEvaluation.Counts shapes;
    /** The sum of the CLIP scores, exact (the slices' double sums added as BigDecimals), or null without a CLIP model. */
    BigDecimal clipSum;
    /** The CLIP image embeddings' sums (FD in CLIP space), or null without a CLIP model. */
    FeatureSums clipFeatures;
    /** The side of a text model's images (the reference of FD in CLIP space is drawn at it), 0 when not measured. */
    int imageSide;

    /** Adds {@code other} into this one and returns this. */
    public PartitionStats merge(PartitionStats other) {
        images += other.images;
        files += other.files;
        partitions += other.partitions;
        loadSeconds += other.loadSeconds;
        sampleSeconds += other.sampleSeconds;
        scoreSeconds += other.scoreSeconds;
        if (other.features != null) {
            if (features == null) {
                features = new FeatureSums(other.features.dim());
            }
            features.merge(other.features);
        }
        if (other.confusion != null) {
            int k = other.confusion.length;
            if (confusion == null) {
                confusion = new long[k][k];
            }
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < k; j++) {
                    confusion[i][j] += other.confusion[i][j];
                }
            }
        }
        if (other.shapes != null) {
            shapes = shapes == null ? other.shapes : shapes.plus(other.shapes);
        }
        if (other.clipSum != null) {
            clipSum = clipSum == null ? other.clipSum : clipSum.add(other.clipSum);
        }
        if (other.clipFeatures != null) {
            if (clipFeatures == null) {
                clipFeatures = new FeatureSums(other.clipFeatures.dim());
            }
            clipFeatures.merge(other.clipFeatures);
        }
        imageSide = Math.max(imageSide, other.imageSide);
        hosts.addAll(other.hosts);
        return this;
    }

    /** Images made. */
    public long images() {
        return images;
    }

    /** PNG files written. */
    public long files() {
        return files;
    }

    /** Partitions that ran to the end (a retried one counts once). */
    public long partitions() {
        return partitions;
    }

    /** Seconds the tasks spent loading the model and the classifier, summed over tasks. */
    public double loadSeconds() {
        return loadSeconds;
    }

    /** Seconds the tasks spent sampling (and writing), summed over tasks. */
    public double sampleSeconds() {
        return sampleSeconds;
    }

    /** Seconds the tasks spent on features and class predictions, summed over tasks. */
    public double scoreSeconds() {
        return scoreSeconds;
    }

    /** The executors' host names. */
    public TreeSet<String> hosts() {
        return new TreeSet<>(hosts);
    }

    /** The merged feature sums, or null when no metrics were asked for. */
    public FeatureSums features() {
        return features;
    }

    /**
     * A text model's shapes-analyzer scores from the merged counts, with the mean CLIP score when a CLIP model scored
     * them (the exact sum over n, rounded once), or null when not measured.
     */
    public ShapesEvaluation.Scores shapes() {
        if (shapes == null) {
            return null;
        }
        ShapesEvaluation.Counts c = new ShapesEvaluation.Counts(shapes.images(), shapes.oneObject(), shapes.oneObjectRight(),
                shapes.sizeRight(), shapes.twoObject(), shapes.twoObjectParts(), shapes.twoObjectBound(), shapes.twoObjectRight(),
                shapes.heldOut(), shapes.heldOutRight(), clipSum == null ? 0 : clipSum.doubleValue());
        return c.scores(clipSum != null);
    }

    /** The exact sums of the images' CLIP image embeddings, or null without a CLIP model. */
    public FeatureSums clipFeatures() {
        return clipFeatures;
    }

    /** The side of the text model's images, 0 when the shapes evaluation did not run. */
    public int imageSide() {
        return imageSide;
    }

    /** The exact sum of the CLIP scores, or null without a CLIP model. */
    public BigDecimal clipSum() {
        return clipSum;
    }

    /** The merged shapes-analyzer counts, or null when not measured. */
    public ShapesEvaluation.Counts shapesCounts() {
        return shapes;
    }

    /** The class accuracy from the merged confusion counts, or null when not measured. */
    public ClassAccuracy.Result accuracy() {
        if (confusion == null) {
            return null;
        }
        int k = confusion.length;
        int[] perImages = new int[k];
        int[] perCorrect = new int[k];
        int[][] c = new int[k][k];
        int total = 0;
        int correct = 0;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < k; j++) {
                c[i][j] = Math.toIntExact(confusion[i][j]);
                perImages[i] += c[i][j];
                total += c[i][j];
            }
            perCorrect[i] = c[i][i];
            correct += c[i][i];
        }
        return new ClassAccuracy.Result(total, correct, perImages, perCorrect, c);
    }
}
