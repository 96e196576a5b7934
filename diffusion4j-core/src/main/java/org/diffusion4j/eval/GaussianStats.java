package org.diffusion4j.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.io.SafeTensors;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

/**
 * Mean μ and covariance Σ of a set of D-dimensional feature vectors, in double: the Gaussian
 * summary that the Fréchet distance compares (Heusel et al. 2017, Eq. 6).
 *
 * <p>Σ is the unbiased sample covariance (divisor N−1), as {@code np.cov(features, rowvar=False)}.
 * Statistics can be built in one go ({@link #of(double[][])}) or streamed over batches with an
 * {@link Accumulator}, which merges per-batch centred scatter matrices exactly (Chan, Golub &amp;
 * LeVeque 1979) instead of the cancellation-prone Σx xᵀ − N μ μᵀ.
 *
 * <p>Immutable; accessors return copies.
 */
public final class GaussianStats {

    /** Tensor names in the stats file, as pytorch-fid names its npz arrays. */
    static final String MU = "mu", SIGMA = "sigma";

    private final double[] mean;
    private final DMatrixRMaj covariance;
    private final long count;

    private GaussianStats(double[] mean, DMatrixRMaj covariance, long count) {
        this.mean = mean;
        this.covariance = covariance;
        this.count = count;
    }

    /**
     * Wraps a given mean and covariance (copied; Σ must be square, symmetric to 1e-9 relative,
     * and match μ).
     *
     * @param count number of samples behind the estimate, or 0 when unknown
     */
    public static GaussianStats of(double[] mean, double[][] covariance, long count) {
        int d = mean.length;
        if (covariance.length != d) {
            throw new IllegalArgumentException("GaussianStats: covariance has " + covariance.length
                    + " rows but the mean has " + d + " entries");
        }
        DMatrixRMaj s = new DMatrixRMaj(d, d);
        for (int i = 0; i < d; i++) {
            if (covariance[i].length != d) {
                throw new IllegalArgumentException("GaussianStats: covariance row " + i + " has "
                        + covariance[i].length + " entries, expected " + d);
            }
            for (int j = 0; j < d; j++) {
                s.set(i, j, covariance[i][j]);
            }
        }
        return checked(mean.clone(), s, count, "GaussianStats.of");
    }

    private static GaussianStats checked(double[] mean, DMatrixRMaj s, long count, String source) {
        int d = mean.length;
        if (d == 0) {
            throw new IllegalArgumentException(source + ": zero-dimensional statistics");
        }
        double scale = 0;
        for (int i = 0; i < d; i++) {
            scale = Math.max(scale, Math.abs(s.get(i, i)));
        }
        for (int i = 0; i < d; i++) {
            if (!Double.isFinite(mean[i])) {
                throw new IllegalArgumentException(source + ": mean[" + i + "] is " + mean[i]);
            }
            for (int j = 0; j < d; j++) {
                double a = s.get(i, j), b = s.get(j, i);
                if (!Double.isFinite(a)) {
                    throw new IllegalArgumentException(source + ": covariance[" + i + "][" + j + "] is " + a);
                }
                if (Math.abs(a - b) > 1e-9 * Math.max(scale, Double.MIN_NORMAL)) {
                    throw new IllegalArgumentException(source + ": covariance is not symmetric at ("
                            + i + "," + j + "): " + a + " vs " + b);
                }
            }
        }
        return new GaussianStats(mean, s, count);
    }

    /** Statistics of an N×D feature matrix (rows are samples); N ≥ 2. */
    public static GaussianStats of(double[][] features) {
        if (features.length == 0) {
            throw new IllegalArgumentException("GaussianStats.of: no feature rows");
        }
        Accumulator acc = new Accumulator(features[0].length);
        acc.add(features);
        return acc.build();
    }

    /** Statistics of an (N, D) NDArray of features (any floating type, copied to double). */
    public static GaussianStats of(NDArray features) {
        if (features.getShape().dimension() != 2) {
            throw new IllegalArgumentException("GaussianStats.of: features must be (N, D), got "
                    + features.getShape());
        }
        Accumulator acc = new Accumulator((int) features.getShape().get(1));
        acc.add(features);
        return acc.build();
    }

    /** A streaming accumulator for feature dimension {@code dim}. */
    public static Accumulator accumulator(int dim) {
        return new Accumulator(dim);
    }

    /**
     * Streams batches of feature rows into running (count, mean, centred scatter M2) and merges
     * each batch exactly: with δ = μ_b − μ, n' = n + n_b,
     * μ' = μ + δ n_b/n', M2' = M2 + M2_b + δδᵀ n n_b/n' (Chan et al. 1979).
     */
    public static final class Accumulator implements Serializable {
        private static final long serialVersionUID = 1L;

        private final int dim;
        private long n;
        private final double[] mean;
        /** M2, D×D row-major (a plain array so that an accumulator is Serializable, e.g. across Spark tasks). */
        private final double[] m2;

        Accumulator(int dim) {
            if (dim <= 0) {
                throw new IllegalArgumentException("GaussianStats.Accumulator: dim must be positive, got " + dim);
            }
            this.dim = dim;
            this.mean = new double[dim];
            this.m2 = new double[dim * dim];
        }

        /**
         * Adds everything {@code other} has seen, as if its rows had been added here: with δ = μ_b − μ_a,
         * n' = n_a + n_b, μ' = μ_a + δ n_b/n', M2' = M2_a + M2_b + δδᵀ n_a n_b/n' (Chan et al. 1979). This is how
         * per-partition statistics of a distributed run combine into those of the whole set.
         */
        public Accumulator merge(Accumulator other) {
            if (other.dim != dim) {
                throw new IllegalArgumentException("GaussianStats.Accumulator: cannot merge " + other.dim + "-D statistics into "
                        + dim + "-D ones");
            }
            if (other.n == 0) {
                return this;
            }
            long total = n + other.n;
            double weight = (double) n * other.n / total;
            for (int i = 0; i < dim; i++) {
                double di = other.mean[i] - mean[i];
                for (int j = 0; j < dim; j++) {
                    m2[i * dim + j] += other.m2[i * dim + j] + di * (other.mean[j] - mean[j]) * weight;
                }
            }
            for (int j = 0; j < dim; j++) {
                mean[j] += (other.mean[j] - mean[j]) * other.n / total;
            }
            n = total;
            return this;
        }

        /** D. */
        public int dim() {
            return dim;
        }

        /** Adds an (N, D) batch (copied to double on the host). */
        public Accumulator add(NDArray batch) {
            if (batch.getShape().dimension() != 2 || batch.getShape().get(1) != dim) {
                throw new IllegalArgumentException("GaussianStats.Accumulator: batch must be (N, " + dim
                        + "), got " + batch.getShape());
            }
            int rows = (int) batch.getShape().get(0);
            double[] values = batch.getDataType() == DataType.FLOAT64
                    ? batch.toDoubleArray()
                    : toDouble(batch.toType(DataType.FLOAT32, false).toFloatArray());
            return add(values, rows);
        }

        /** Adds N rows of length D. */
        public Accumulator add(double[][] rows) {
            double[] flat = new double[rows.length * dim];
            for (int i = 0; i < rows.length; i++) {
                if (rows[i].length != dim) {
                    throw new IllegalArgumentException("GaussianStats.Accumulator: row " + i + " has "
                            + rows[i].length + " features, expected " + dim);
                }
                System.arraycopy(rows[i], 0, flat, i * dim, dim);
            }
            return add(flat, rows.length);
        }

        private Accumulator add(double[] flat, int rows) {
            if (rows == 0) {
                return this;
            }
            for (double v : flat) {
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("GaussianStats.Accumulator: non-finite feature "
                            + v + "; check the feature extractor's input range");
                }
            }
            double[] batchMean = new double[dim];
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < dim; j++) {
                    batchMean[j] += flat[r * dim + j];
                }
            }
            for (int j = 0; j < dim; j++) {
                batchMean[j] /= rows;
            }
            DMatrixRMaj centred = DMatrixRMaj.wrap(rows, dim, flat);
            for (int r = 0; r < rows; r++) {
                for (int j = 0; j < dim; j++) {
                    flat[r * dim + j] -= batchMean[j];
                }
            }
            DMatrixRMaj batchM2 = new DMatrixRMaj(dim, dim);
            CommonOps_DDRM.multTransA(centred, centred, batchM2);
            long total = n + rows;
            double weight = (double) n * rows / total;
            for (int i = 0; i < dim; i++) {
                double di = batchMean[i] - mean[i];
                for (int j = 0; j < dim; j++) {
                    double dj = batchMean[j] - mean[j];
                    m2[i * dim + j] += batchM2.get(i, j) + di * dj * weight;
                }
            }
            for (int j = 0; j < dim; j++) {
                mean[j] += (batchMean[j] - mean[j]) * rows / total;
            }
            n = total;
            return this;
        }

        /** Samples seen so far. */
        public long count() {
            return n;
        }

        /** The statistics so far: μ and Σ = M2/(N−1). Needs N ≥ 2. */
        public GaussianStats build() {
            if (n < 2) {
                throw new IllegalStateException("GaussianStats: need at least 2 samples for an unbiased"
                        + " covariance, have " + n);
            }
            DMatrixRMaj cov = new DMatrixRMaj(dim, dim, true, m2);
            CommonOps_DDRM.scale(1.0 / (n - 1), cov);
            // exact symmetry (M2 is symmetric up to rounding in the δδᵀ update)
            for (int i = 0; i < dim; i++) {
                for (int j = i + 1; j < dim; j++) {
                    double v = 0.5 * (cov.get(i, j) + cov.get(j, i));
                    cov.set(i, j, v);
                    cov.set(j, i, v);
                }
            }
            return new GaussianStats(mean.clone(), cov, n);
        }
    }

    // ---------------------------------------------------------------- accessors

    /** D. */
    public int dim() {
        return mean.length;
    }

    /** Number of samples behind the estimate (0 when unknown). */
    public long count() {
        return count;
    }

    /** μ (a copy). */
    public double[] mean() {
        return mean.clone();
    }

    /** Σ as rows (a copy). */
    public double[][] covariance() {
        double[][] out = new double[dim()][];
        for (int i = 0; i < dim(); i++) {
            out[i] = Arrays.copyOfRange(covariance.data, i * dim(), (i + 1) * dim());
        }
        return out;
    }

    /** Σ as an EJML matrix (a copy). */
    public DMatrixRMaj covarianceMatrix() {
        return covariance.copy();
    }

    // ---------------------------------------------------------------- files

    /**
     * Writes μ ({@code mu}, F64 [D]) and Σ ({@code sigma}, F64 [D, D]) to a safetensors file,
     * atomically, with the sample count and {@code metadata} in the header.
     */
    public void save(Path file, Map<String, String> metadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.put("count", Long.toString(count));
        SafeTensors.writeTensors(file, List.of(
                SafeTensors.Tensor.of(MU, mean, dim()),
                SafeTensors.Tensor.of(SIGMA, covariance.data.clone(), dim(), dim())), meta);
    }

    /** Reads a file written by {@link #save}; F32 tensors are accepted and widened. */
    public static GaussianStats load(Path file) throws IOException {
        SafeTensors st = SafeTensors.read(file);
        for (String name : new String[] {MU, SIGMA}) {
            if (!st.contains(name)) {
                throw new IOException(file + ": missing tensor \"" + name + "\"; a statistics file holds"
                        + " \"mu\" [D] and \"sigma\" [D, D] (write it with GaussianStats.save)");
            }
        }
        long[] muShape = st.info(MU).shape(), sigmaShape = st.info(SIGMA).shape();
        if (muShape.length != 1 || sigmaShape.length != 2 || sigmaShape[0] != muShape[0]
                || sigmaShape[1] != muShape[0]) {
            throw new IOException(file + ": \"mu\" has shape " + Arrays.toString(muShape) + " and \"sigma\" "
                    + Arrays.toString(sigmaShape) + "; expected [D] and [D, D]");
        }
        int d = (int) muShape[0];
        long count = 0;
        String c = st.metadata().get("count");
        if (c != null) {
            try {
                count = Long.parseLong(c);
            } catch (NumberFormatException e) {
                throw new IOException(file + ": metadata \"count\" is not an integer: " + c, e);
            }
        }
        try {
            return checked(st.doubles(MU), DMatrixRMaj.wrap(d, d, st.doubles(SIGMA)), count, file.toString());
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
    }

    private static double[] toDouble(float[] f) {
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }
}
