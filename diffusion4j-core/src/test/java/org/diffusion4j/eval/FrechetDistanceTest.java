package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;

class FrechetDistanceTest {

    /** A random SPD matrix A Aᵀ + εI with a spread of eigenvalues. */
    static double[][] randomSpd(int d, Random rng, double eps) {
        DMatrixRMaj a = new DMatrixRMaj(d, d);
        for (int i = 0; i < d * d; i++) {
            a.data[i] = rng.nextGaussian();
        }
        DMatrixRMaj s = new DMatrixRMaj(d, d);
        CommonOps_DDRM.multTransB(a, a, s);
        double[][] out = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                out[i][j] = 0.5 * (s.get(i, j) + s.get(j, i)) / d + (i == j ? eps : 0);
            }
        }
        return out;
    }

    static double[] randomVector(int d, Random rng) {
        double[] v = new double[d];
        for (int i = 0; i < d; i++) {
            v[i] = rng.nextGaussian();
        }
        return v;
    }

    static double trace(double[][] m) {
        double t = 0;
        for (int i = 0; i < m.length; i++) {
            t += m[i][i];
        }
        return t;
    }

    @Test
    void identicalGaussiansAreAtDistanceZero() {
        Random rng = new Random(1);
        double[] mu = randomVector(64, rng);
        double[][] sigma = randomSpd(64, rng, 1e-3);
        double d2 = FrechetDistance.squared(mu, sigma, mu, sigma);
        // relative to the scale of the terms that must cancel: tr Σ₁ + tr Σ₂
        assertEquals(0.0, d2 / (2 * trace(sigma)), 1e-9);
        FrechetDistance.Terms t = FrechetDistance.terms(GaussianStats.of(mu, sigma, 0), GaussianStats.of(mu, sigma, 0));
        assertEquals(trace(sigma), t.traceSqrtProduct(), 1e-9 * trace(sigma));
    }

    @Test
    void diagonalCovariancesMatchTheClosedForm() {
        Random rng = new Random(2);
        int d = 12;
        double[] mu1 = randomVector(d, rng), mu2 = randomVector(d, rng);
        double[][] s1 = new double[d][d], s2 = new double[d][d];
        double expected = 0;
        for (int i = 0; i < d; i++) {
            double a = 0.1 + 3 * rng.nextDouble(), b = 0.1 + 3 * rng.nextDouble();
            s1[i][i] = a;
            s2[i][i] = b;
            expected += Math.pow(Math.sqrt(a) - Math.sqrt(b), 2) + Math.pow(mu1[i] - mu2[i], 2);
        }
        assertEquals(expected, FrechetDistance.squared(mu1, s1, mu2, s2), 1e-12 * expected);
    }

    @Test
    void shiftedMeansOnlyGiveTheSquaredMeanDistance() {
        Random rng = new Random(3);
        int d = 32;
        double[] mu1 = randomVector(d, rng), mu2 = randomVector(d, rng);
        double[][] sigma = randomSpd(d, rng, 0.01);
        double expected = 0;
        for (int i = 0; i < d; i++) {
            expected += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
        }
        assertEquals(expected, FrechetDistance.squared(mu1, sigma, mu2, sigma), 1e-9 * (expected + trace(sigma)));
    }

    @Test
    void randomSpdPairAgreesWithEigenvaluesOfTheNonSymmetricProduct() {
        Random rng = new Random(4);
        int d = 40;
        double[] mu1 = randomVector(d, rng), mu2 = randomVector(d, rng);
        double[][] s1 = randomSpd(d, rng, 0.05), s2 = randomSpd(d, rng, 0.05);

        // brute force: tr √(Σ₁Σ₂) = Σ √λ(Σ₁Σ₂); Σ₁Σ₂ is similar to Σ₁^{1/2}Σ₂Σ₁^{1/2}, so its
        // eigenvalues are real and non-negative, found here by the general (non-symmetric) solver
        DMatrixRMaj product = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(new DMatrixRMaj(s1), new DMatrixRMaj(s2), product);
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_DDRM.eig(d, false, false);
        assertTrue(eig.decompose(product));
        double traceSqrt = 0;
        for (int k = 0; k < d; k++) {
            assertEquals(0.0, eig.getEigenvalue(k).getImaginary(), 1e-8);
            traceSqrt += Math.sqrt(eig.getEigenvalue(k).getReal());
        }
        double meanTerm = 0;
        for (int i = 0; i < d; i++) {
            meanTerm += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]);
        }
        double expected = meanTerm + trace(s1) + trace(s2) - 2 * traceSqrt;
        double actual = FrechetDistance.squared(mu1, s1, mu2, s2);
        assertTrue(expected > 1, "non-trivial distance: " + expected);
        assertEquals(expected, actual, 1e-9 * expected);
    }

    @Test
    void distanceIsSymmetric() {
        Random rng = new Random(5);
        int d = 24;
        GaussianStats a = GaussianStats.of(randomVector(d, rng), randomSpd(d, rng, 0.01), 0);
        GaussianStats b = GaussianStats.of(randomVector(d, rng), randomSpd(d, rng, 0.01), 0);
        double ab = FrechetDistance.squared(a, b), ba = FrechetDistance.squared(b, a);
        assertEquals(ab, ba, 1e-10 * ab);
        assertEquals(Math.sqrt(ab), FrechetDistance.distance(a, b), 1e-12 * ab);
    }

    @Test
    void singularCovariancesAreHandled() {
        // rank-1 covariances: the square root must clip the zero (or tiny negative) eigenvalues
        double[] mu = {0, 0, 0};
        double[][] s1 = {{1, 1, 0}, {1, 1, 0}, {0, 0, 0}}; // (1,1,0)ᵀ(1,1,0): eigenvalue 2 along (1,1,0)/√2
        double[][] s2 = {{4, 4, 0}, {4, 4, 0}, {0, 0, 0}}; // 4× the same direction: eigenvalue 8
        // same axis: d² = (√2 − √8)² = 2
        assertEquals(2.0, FrechetDistance.squared(mu, s1, mu, s2), 1e-12);
        double[][] s3 = {{0, 0, 0}, {0, 0, 0}, {0, 0, 9}}; // orthogonal axis: d² = tr Σ₁ + tr Σ₃
        assertEquals(11.0, FrechetDistance.squared(mu, s1, mu, s3), 1e-12);
    }

    @Test
    void sqrtPsdSquaresBack() {
        Random rng = new Random(6);
        DMatrixRMaj s = new DMatrixRMaj(randomSpd(16, rng, 0.01));
        DMatrixRMaj r = FrechetDistance.sqrtPsd(s);
        DMatrixRMaj rr = new DMatrixRMaj(16, 16);
        CommonOps_DDRM.mult(r, r, rr);
        for (int i = 0; i < s.data.length; i++) {
            assertEquals(s.data[i], rr.data[i], 1e-12);
        }
    }

    @Test
    void differentDimensionsAreRefused() {
        GaussianStats a = GaussianStats.of(new double[2], new double[][] {{1, 0}, {0, 1}}, 0);
        GaussianStats b = GaussianStats.of(new double[1], new double[][] {{1}}, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.squared(a, b));
        assertTrue(e.getMessage().contains("same feature extractor"), e.getMessage());
    }
}
