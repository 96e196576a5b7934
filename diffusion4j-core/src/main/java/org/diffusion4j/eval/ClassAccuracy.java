package org.diffusion4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;

/**
 * How often a classifier recognises the class an image was generated for: the fidelity half of the
 * classifier-free-guidance trade-off (Ho &amp; Salimans 2022 report it with IS; with a classifier of
 * the data set's own classes the accuracy of the requested class is the direct measure). The
 * classifier's prediction is the arg-max of its posterior p(y|x); the accuracy is the fraction of
 * images whose prediction is the requested label, with its binomial standard error √(a(1−a)/n).
 *
 * <p>The same number for real held-out images with their true labels is the classifier's own test
 * accuracy: what a perfect generator would score, the ceiling to read the samples' accuracy against.
 */
public final class ClassAccuracy {

    private ClassAccuracy() {}

    /**
     * The accuracy of n images against their requested labels.
     *
     * @param images how many images were scored
     * @param correct how many were classified as their requested class
     * @param perClassImages images requested per class (index = label)
     * @param perClassCorrect of those, how many were classified as that class
     * @param confusion confusion[requested][predicted] counts
     */
    public record Result(int images, int correct, int[] perClassImages, int[] perClassCorrect, int[][] confusion) {

        /** The fraction of images classified as their requested class. */
        public double accuracy() {
            return images == 0 ? Double.NaN : correct / (double) images;
        }

        /** The binomial standard error of {@link #accuracy()}: √(a(1−a)/n). */
        public double standardError() {
            double a = accuracy();
            return images == 0 ? Double.NaN : Math.sqrt(a * (1 - a) / images);
        }

        /** The accuracy on the images requested as class c (NaN when none were). */
        public double classAccuracy(int c) {
            return perClassImages[c] == 0 ? Double.NaN : perClassCorrect[c] / (double) perClassImages[c];
        }

        /** The number of classes of the classifier. */
        public int numClasses() {
            return perClassImages.length;
        }
    }

    /**
     * Classifies {@code images} and compares with the requested labels.
     *
     * @param classifier a feature extractor with a classification head ({@link FeatureExtractor#hasClassifier()})
     * @param images float32 (N, C, H, W) in [−1, 1]
     * @param requested the class each image was generated for (or the true label of a real image), length N
     * @param batchSize images per forward pass
     */
    public static Result of(FeatureExtractor classifier, NDArray images, long[] requested, int batchSize) {
        if (!classifier.hasClassifier()) {
            throw new IllegalArgumentException(classifier.name() + " has no classification head; class accuracy needs one");
        }
        long n = images.getShape().get(0);
        if (n != requested.length) {
            throw new IllegalArgumentException(n + " images but " + requested.length + " requested labels");
        }
        try (NDManager sub = images.getManager().newSubManager()) {
            NDArray p = FeatureStats.classProbabilities(classifier, images, batchSize);
            p.attach(sub);
            int numClasses = Math.toIntExact(p.getShape().get(1));
            long[] predicted = p.argMax(1).toType(DataType.INT64, false).toLongArray();
            return of(predicted, requested, numClasses);
        }
    }

    /**
     * Compares predictions with requested labels.
     *
     * @throws IllegalArgumentException when the lengths differ or a label is outside [0, numClasses)
     */
    public static Result of(long[] predicted, long[] requested, int numClasses) {
        if (predicted.length != requested.length) {
            throw new IllegalArgumentException(predicted.length + " predictions but " + requested.length + " requested labels");
        }
        if (numClasses < 1) {
            throw new IllegalArgumentException("numClasses must be at least 1, got " + numClasses);
        }
        int[] images = new int[numClasses];
        int[] correct = new int[numClasses];
        int[][] confusion = new int[numClasses][numClasses];
        int total = 0;
        for (int i = 0; i < predicted.length; i++) {
            long want = requested[i];
            long got = predicted[i];
            if (want < 0 || want >= numClasses || got < 0 || got >= numClasses) {
                throw new IllegalArgumentException("image " + i + ": requested class " + want + ", predicted " + got
                        + "; both must be in [0, " + numClasses + ") (the classifier's classes)");
            }
            images[(int) want]++;
            confusion[(int) want][(int) got]++;
            if (want == got) {
                correct[(int) want]++;
                total++;
            }
        }
        return new Result(predicted.length, total, images, correct, confusion);
    }

    /** A short text such as {@code 0.874 ± 0.010 (874 of 1000)}. */
    public static String describe(Result r) {
        return String.format(java.util.Locale.ROOT, "%.3f ± %.3f (%d of %d)", r.accuracy(), r.standardError(), r.correct(), r.images());
    }

    /** The per-class accuracies as an array (NaN for classes never requested). */
    public static double[] perClass(Result r) {
        double[] a = new double[r.numClasses()];
        Arrays.setAll(a, r::classAccuracy);
        return a;
    }
}
