package org.diffusion4j.spark;

import java.io.Serializable;
import java.math.BigDecimal;
import java.math.MathContext;
import org.diffusion4j.eval.GaussianStats;

/**
 * The sufficient statistics of a set of feature vectors — n, Σx and Σxxᵀ — summed <em>exactly</em>, so
 * that the merged statistics, and the FD, do not depend on how the images were cut into partitions, on
 * the order Spark merges them, or on retries.
 *
 * <p>Why exact: the Fréchet distance takes a matrix square root of Σ₁Σ₂, and the classifier's 256-D
 * features have near-zero-variance directions, so the last bits of Σ move the FD by about 1e-9 relative
 * (measured: 844.16844063 vs 844.16843969 for the same 512 images cut into 7 or 3 partitions with
 * floating-point merges). Each slice's sums are taken in double in a fixed order (the slice is the same
 * batch whatever the partitioning); the slices' doubles are then added as {@link BigDecimal}s, which is
 * exact and so order-free; μ and Σ are formed from the exact sums (no cancellation) and rounded once.
 */
public final class FeatureSums implements Serializable {

    private static final long serialVersionUID = 1L;

    private final int dim;
    private long n;
    private final BigDecimal[] sum;
    /** Σxxᵀ, upper triangle row by row (i ≤ j). */
    private final BigDecimal[] outer;

    public FeatureSums(int dim) {
        if (dim < 1) {
            throw new IllegalArgumentException("feature dimension must be positive, got " + dim);
        }
        this.dim = dim;
        this.sum = new BigDecimal[dim];
        this.outer = new BigDecimal[dim * (dim + 1) / 2];
        java.util.Arrays.fill(sum, BigDecimal.ZERO);
        java.util.Arrays.fill(outer, BigDecimal.ZERO);
    }

    /** Adds {@code rows} feature vectors of length D, row-major (one slice's features). */
    public FeatureSums add(float[] features, int rows) {
        if (features.length != rows * dim) {
            throw new IllegalArgumentException(features.length + " feature values are not " + rows + " rows of " + dim);
        }
        double[] s = new double[dim];
        double[] o = new double[outer.length];
        for (int r = 0; r < rows; r++) {
            int base = r * dim;
            for (int i = 0, k = 0; i < dim; i++) {
                double xi = features[base + i];
                if (!Double.isFinite(xi)) {
                    throw new IllegalArgumentException("non-finite feature " + xi + "; check the feature extractor's input range");
                }
                s[i] += xi;
                for (int j = i; j < dim; j++, k++) {
                    o[k] += xi * features[base + j];
                }
            }
        }
        for (int i = 0; i < dim; i++) {
            sum[i] = sum[i].add(new BigDecimal(s[i]));
        }
        for (int k = 0; k < o.length; k++) {
            outer[k] = outer[k].add(new BigDecimal(o[k]));
        }
        n += rows;
        return this;
    }

    /** Adds everything {@code other} has seen (exact: the result does not depend on the order of merges). */
    public FeatureSums merge(FeatureSums other) {
        if (other.dim != dim) {
            throw new IllegalArgumentException("cannot merge " + other.dim + "-D feature sums into " + dim + "-D ones");
        }
        for (int i = 0; i < dim; i++) {
            sum[i] = sum[i].add(other.sum[i]);
        }
        for (int k = 0; k < outer.length; k++) {
            outer[k] = outer[k].add(other.outer[k]);
        }
        n += other.n;
        return this;
    }

    public int dim() {
        return dim;
    }

    public long count() {
        return n;
    }

    /** μ = Σx/n and the unbiased Σ = (Σxxᵀ − Σx Σxᵀ/n)/(n − 1), formed from the exact sums and rounded once. */
    public GaussianStats build() {
        if (n < 2) {
            throw new IllegalStateException("need at least 2 images for a covariance, have " + n);
        }
        MathContext mc = new MathContext(40);
        BigDecimal count = BigDecimal.valueOf(n);
        BigDecimal dof = BigDecimal.valueOf(n - 1);
        double[] mean = new double[dim];
        for (int i = 0; i < dim; i++) {
            mean[i] = sum[i].divide(count, mc).doubleValue();
        }
        double[][] cov = new double[dim][dim];
        for (int i = 0, k = 0; i < dim; i++) {
            for (int j = i; j < dim; j++, k++) {
                BigDecimal centred = outer[k].subtract(sum[i].multiply(sum[j]).divide(count, mc), mc);
                double c = centred.divide(dof, mc).doubleValue();
                cov[i][j] = c;
                cov[j][i] = c;
            }
        }
        return GaussianStats.of(mean, cov, n);
    }
}
