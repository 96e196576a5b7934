package org.diffusion4j.eval;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;

/**
 * The Fréchet (2-Wasserstein) distance between two Gaussians N(μ₁, Σ₁) and N(μ₂, Σ₂)
 * (Dowson &amp; Landau 1982; used as FID by Heusel et al. 2017, Eq. 6):
 *
 * <pre>
 *   d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2})
 * </pre>
 *
 * <p>{@link #squared} returns d², the number reported as "FID". The trace of the matrix square
 * root is computed in the symmetric product form: S = Σ₁^{1/2} from a symmetric eigen-decomposition
 * (eigenvalues below zero from rounding are clipped to 0), then tr((S Σ₂ S)^{1/2}) = Σᵢ √λᵢ over
 * the eigenvalues of the symmetric PSD matrix S Σ₂ S. Unlike {@code scipy.linalg.sqrtm(Σ₁Σ₂)} on the
 * non-symmetric product, this never produces complex parts and needs no ε added to the diagonal.
 * All arithmetic is in double.
 */
public final class FrechetDistance {

    /** The three parts of d², for reports and debugging. */
    public record Terms(double meanTerm, double traceSigma1, double traceSigma2, double traceSqrtProduct) {
        /** d² = ‖Δμ‖² + tr Σ₁ + tr Σ₂ − 2 tr √(Σ₁^{1/2} Σ₂ Σ₁^{1/2}), clipped below at 0. */
        public double squared() {
            return Math.max(0.0, meanTerm + traceSigma1 + traceSigma2 - 2 * traceSqrtProduct);
        }
    }

    private FrechetDistance() {}

    /** d² between two fitted Gaussians (the FID when the features are Inception pool3). */
    public static double squared(GaussianStats a, GaussianStats b) {
        return terms(a, b).squared();
    }

    /** d itself, √(d²). */
    public static double distance(GaussianStats a, GaussianStats b) {
        return Math.sqrt(squared(a, b));
    }

    /** d² between N(μ₁, Σ₁) and N(μ₂, Σ₂). */
    public static double squared(double[] mu1, double[][] sigma1, double[] mu2, double[][] sigma2) {
        return squared(GaussianStats.of(mu1, sigma1, 0), GaussianStats.of(mu2, sigma2, 0));
    }

    /** The separate terms of d². */
    public static Terms terms(GaussianStats a, GaussianStats b) {
        if (a.dim() != b.dim()) {
            throw new IllegalArgumentException("FrechetDistance: statistics have different feature"
                    + " dimensions " + a.dim() + " and " + b.dim() + "; were they computed with the same"
                    + " feature extractor?");
        }
        double[] mu1 = a.mean(), mu2 = b.mean();
        double meanTerm = 0;
        for (int i = 0; i < mu1.length; i++) {
            double d = mu1[i] - mu2[i];
            meanTerm += d * d;
        }
        DMatrixRMaj sigma1 = a.covarianceMatrix(), sigma2 = b.covarianceMatrix();
        return new Terms(meanTerm, CommonOps_DDRM.trace(sigma1), CommonOps_DDRM.trace(sigma2),
                traceSqrtOfProduct(sigma1, sigma2));
    }

    /** tr((Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}) = Σᵢ √λᵢ(Σ₁^{1/2} Σ₂ Σ₁^{1/2}), eigenvalues clipped at 0. */
    static double traceSqrtOfProduct(DMatrixRMaj sigma1, DMatrixRMaj sigma2) {
        DMatrixRMaj s = sqrtPsd(sigma1);
        DMatrixRMaj tmp = new DMatrixRMaj(s.numRows, s.numCols);
        DMatrixRMaj m = new DMatrixRMaj(s.numRows, s.numCols);
        CommonOps_DDRM.mult(s, sigma2, tmp);
        CommonOps_DDRM.mult(tmp, s, m);
        symmetrize(m);
        double sum = 0;
        for (double lambda : symmetricEigenvalues(m)) {
            sum += Math.sqrt(Math.max(0.0, lambda));
        }
        return sum;
    }

    /**
     * The PSD square root V diag(√max(λ, 0)) Vᵀ of a symmetric matrix, from its symmetric
     * eigen-decomposition V diag(λ) Vᵀ.
     */
    static DMatrixRMaj sqrtPsd(DMatrixRMaj symmetric) {
        int n = symmetric.numRows;
        DMatrixRMaj a = symmetric.copy();
        symmetrize(a);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, true, true);
        if (!eig.decompose(a)) {
            throw new ArithmeticException("FrechetDistance: symmetric eigen-decomposition of a "
                    + n + "×" + n + " covariance did not converge");
        }
        DMatrixRMaj out = new DMatrixRMaj(n, n);
        for (int k = 0; k < n; k++) {
            double root = Math.sqrt(Math.max(0.0, eig.getEigenvalue(k).getReal()));
            if (root == 0) {
                continue;
            }
            DMatrixRMaj v = eig.getEigenVector(k);
            for (int i = 0; i < n; i++) {
                double vi = v.get(i) * root;
                for (int j = 0; j < n; j++) {
                    out.add(i, j, vi * v.get(j));
                }
            }
        }
        return out;
    }

    private static double[] symmetricEigenvalues(DMatrixRMaj symmetric) {
        int n = symmetric.numRows;
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(n, false, true);
        if (!eig.decompose(symmetric.copy())) {
            throw new ArithmeticException("FrechetDistance: symmetric eigen-decomposition of a "
                    + n + "×" + n + " matrix did not converge");
        }
        double[] out = new double[n];
        for (int k = 0; k < n; k++) {
            out[k] = eig.getEigenvalue(k).getReal();
        }
        return out;
    }

    private static void symmetrize(DMatrixRMaj m) {
        for (int i = 0; i < m.numRows; i++) {
            for (int j = i + 1; j < m.numCols; j++) {
                double v = 0.5 * (m.get(i, j) + m.get(j, i));
                m.set(i, j, v);
                m.set(j, i, v);
            }
        }
    }
}
