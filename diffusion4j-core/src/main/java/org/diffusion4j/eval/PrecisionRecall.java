package org.diffusion4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Improved precision and recall of Kynkäänniemi et al. 2019 ("Improved Precision and Recall Metric
 * for Assessing Generative Models", Eq. 1–3).
 *
 * <p>Each feature set Φ approximates its manifold by the union of balls centred at its points with
 * radius equal to the distance to the k-th nearest neighbour within Φ. Then
 * <ul>
 *   <li>precision = fraction of generated samples inside the real manifold,</li>
 *   <li>recall = fraction of real samples inside the generated manifold.</li>
 * </ul>
 * Pairwise squared distances are ‖a‖² + ‖b‖² − 2 a·b via float64 matrix products, {@code chunk}
 * query rows at a time so memory stays at chunk × N doubles. A point lies inside when
 * d²(x, φ) ≤ r²(φ) for some φ.
 */
public final class PrecisionRecall {

    /** Default neighbourhood size of the paper. */
    public static final int DEFAULT_K = 3;
    /** Default query rows per distance block. */
    public static final int DEFAULT_CHUNK = 1024;

    /** Precision and recall in [0, 1]. */
    public record Result(double precision, double recall, int k) {}

    private PrecisionRecall() {}

    /** Precision and recall with k = 3. */
    public static Result compute(NDArray real, NDArray generated) {
        return compute(real, generated, DEFAULT_K, DEFAULT_CHUNK);
    }

    /**
     * Precision and recall of {@code generated} against {@code real}, both (N, D) feature arrays.
     *
     * @param k neighbourhood size, 1 ≤ k &lt; N of each set
     * @param chunk query rows per distance block
     */
    public static Result compute(NDArray real, NDArray generated, int k, int chunk) {
        check(real, "real", k);
        check(generated, "generated", k);
        if (real.getShape().get(1) != generated.getShape().get(1)) {
            throw new IllegalArgumentException("PrecisionRecall: real features have D="
                    + real.getShape().get(1) + " but generated have D=" + generated.getShape().get(1)
                    + "; use the same feature extractor for both");
        }
        if (chunk <= 0) {
            throw new IllegalArgumentException("PrecisionRecall: chunk must be positive, got " + chunk);
        }
        try (NDManager sub = real.getManager().newSubManager()) {
            NDArray r = real.toType(DataType.FLOAT64, true);
            NDArray g = generated.toType(DataType.FLOAT64, true);
            r.attach(sub);
            g.attach(sub);
            NDArray realRadii = kthNeighbourSquaredRadii(r, k, chunk);
            NDArray generatedRadii = kthNeighbourSquaredRadii(g, k, chunk);
            double precision = fractionInside(g, r, realRadii, chunk);
            double recall = fractionInside(r, g, generatedRadii, chunk);
            return new Result(precision, recall, k);
        }
    }

    /** r²(φ) for every row φ: squared distance to its k-th nearest neighbour in the set (self excluded). */
    static NDArray kthNeighbourSquaredRadii(NDArray set, int k, int chunk) {
        NDManager owner = set.getManager();
        long n = set.getShape().get(0);
        double[] radii = new double[(int) n];
        Rows rows = new Rows(set);
        for (long start = 0; start < n; start += chunk) {
            long end = Math.min(n, start + chunk);
            try (NDManager sub = owner.newSubManager()) {
                NDArray q = set.get(start + ":" + end);
                q.attach(sub);
                NDArray d2 = rows.squaredDistancesFrom(q);
                // the k+1 smallest include the point itself at distance 0
                NDArray kth = d2.topK(k + 1, 1, false, true).get(0).get(":, " + k);
                System.arraycopy(kth.toDoubleArray(), 0, radii, (int) start, (int) (end - start));
            }
        }
        return owner.create(radii);
    }

    /** Fraction of {@code queries} rows within r(φ) of at least one φ in {@code manifold}. */
    static double fractionInside(NDArray queries, NDArray manifold, NDArray squaredRadii, int chunk) {
        long n = queries.getShape().get(0);
        long inside = 0;
        Rows rows = new Rows(manifold);
        NDArray radiiRow = squaredRadii.reshape(1, -1);
        for (long start = 0; start < n; start += chunk) {
            long end = Math.min(n, start + chunk);
            try (NDManager sub = queries.getManager().newSubManager()) {
                NDArray q = queries.get(start + ":" + end);
                q.attach(sub);
                NDArray slack = rows.squaredDistancesFrom(q).sub(radiiRow);
                inside += slack.min(new int[] {1}).lte(0.0).sum().toType(DataType.INT64, false).getLong();
            }
        }
        return inside / (double) n;
    }

    /** A set of rows b with ‖b‖² and bᵀ precomputed, to measure distances from query blocks. */
    private static final class Rows {
        private final NDArray transposed;
        private final NDArray squaredNorms;

        Rows(NDArray b) {
            transposed = b.transpose();
            squaredNorms = b.square().sum(new int[] {1}).reshape(1, -1);
        }

        /** (q, n) matrix ‖a‖² + ‖b‖² − 2 a·b, clipped at 0; intermediates in {@code a}'s manager. */
        NDArray squaredDistancesFrom(NDArray a) {
            NDArray aa = a.square().sum(new int[] {1}, true);
            return aa.add(squaredNorms).sub(a.matMul(transposed).mul(2.0)).maximum(0.0);
        }
    }

    private static void check(NDArray x, String what, int k) {
        if (x.getShape().dimension() != 2) {
            throw new IllegalArgumentException("PrecisionRecall: " + what + " features must be (N, D), got "
                    + x.getShape());
        }
        if (k < 1 || k >= x.getShape().get(0)) {
            throw new IllegalArgumentException("PrecisionRecall: k=" + k + " needs 1 <= k < N, but the "
                    + what + " set has N=" + x.getShape().get(0) + " samples");
        }
    }
}
