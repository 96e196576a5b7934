package org.diffusion4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * The Inception Score of Salimans et al. 2016 (Section 4), computed from class posteriors p(y|x)
 * of any classifier (here usually {@code FashionClassifier}, so it is an "IS analogue", not
 * comparable with Inception-v3 numbers):
 *
 * <pre>
 *   IS = exp( E_x KL( p(y|x) ‖ p(y) ) ),   p(y) = E_x p(y|x)
 * </pre>
 *
 * It ranges from 1 (every posterior equals the marginal) to the number of classes (confident and
 * balanced). As in the reference code, the N samples are cut into {@code splits} consecutive parts
 * of ⌊N/splits⌋ rows (a remainder is dropped), the score is computed within each part with that
 * part's marginal, and the mean and (population) standard deviation over parts are reported.
 * Terms with p(y|x) = 0 contribute 0 (the limit of p log p).
 */
public final class InceptionScore {

    /** Default number of splits in the reference implementation. */
    public static final int DEFAULT_SPLITS = 10;

    /** Mean and standard deviation over splits, and the score of each split. */
    public record Result(double mean, double std, double[] splitScores) {}

    private InceptionScore() {}

    /** Score of posteriors given as an (N, C) NDArray whose rows sum to 1. */
    public static Result compute(NDArray probabilities, int splits) {
        if (probabilities.getShape().dimension() != 2) {
            throw new IllegalArgumentException("InceptionScore: probabilities must be (N, C), got "
                    + probabilities.getShape());
        }
        int n = (int) probabilities.getShape().get(0), c = (int) probabilities.getShape().get(1);
        double[] flat = probabilities.toType(DataType.FLOAT64, false).toDoubleArray();
        double[][] rows = new double[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = java.util.Arrays.copyOfRange(flat, i * c, (i + 1) * c);
        }
        return compute(rows, splits);
    }

    /** Score of posteriors given as N rows of C probabilities each summing to 1 (to 1e-3). */
    public static Result compute(double[][] probabilities, int splits) {
        int n = probabilities.length;
        if (splits < 1 || n < splits) {
            throw new IllegalArgumentException("InceptionScore: need 1 <= splits <= N, got splits="
                    + splits + " and N=" + n);
        }
        int c = probabilities[0].length;
        for (int i = 0; i < n; i++) {
            double[] p = probabilities[i];
            if (p.length != c) {
                throw new IllegalArgumentException("InceptionScore: row " + i + " has " + p.length
                        + " classes, expected " + c);
            }
            double sum = 0;
            for (double v : p) {
                if (!(v >= 0 && v <= 1)) {
                    throw new IllegalArgumentException("InceptionScore: row " + i + " holds " + v
                            + ", not a probability; pass softmax outputs, not logits");
                }
                sum += v;
            }
            if (Math.abs(sum - 1) > 1e-3) {
                throw new IllegalArgumentException("InceptionScore: row " + i + " sums to " + sum
                        + ", not 1; pass softmax outputs, not logits");
            }
        }
        int part = n / splits;
        double[] scores = new double[splits];
        for (int s = 0; s < splits; s++) {
            scores[s] = score(probabilities, s * part, (s + 1) * part);
        }
        double mean = 0;
        for (double v : scores) {
            mean += v;
        }
        mean /= splits;
        double var = 0;
        for (double v : scores) {
            var += (v - mean) * (v - mean);
        }
        return new Result(mean, Math.sqrt(var / splits), scores);
    }

    /** exp(mean over rows [from, to) of KL(p(y|x) ‖ p(y))), with p(y) the mean of those rows. */
    static double score(double[][] p, int from, int to) {
        int c = p[from].length, n = to - from;
        double[] marginal = new double[c];
        for (int i = from; i < to; i++) {
            for (int y = 0; y < c; y++) {
                marginal[y] += p[i][y];
            }
        }
        for (int y = 0; y < c; y++) {
            marginal[y] /= n;
        }
        double kl = 0;
        for (int i = from; i < to; i++) {
            for (int y = 0; y < c; y++) {
                double pyx = p[i][y];
                if (pyx > 0) {
                    kl += pyx * (Math.log(pyx) - Math.log(marginal[y]));
                }
            }
        }
        return Math.exp(kl / n);
    }
}
