package org.diffusion4j.sampling;

import org.diffusion4j.diffusion.NoiseSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(IntraOpThreads.class)
class AnalyticGaussianDenoiserTest {

    static final NoiseSchedule SCHEDULE = NoiseSchedule.linear();
    static final double MU = 0.3;
    static final double S = 0.5;

    /**
     * ε̂ is E[ε | x_t]: on forward-process draws the residual ε − ε̂ is uncorrelated with x_t and has the
     * conditional variance 1 − (1 − ᾱ)/D (Gaussian regression), within 4 standard errors.
     */
    @Test
    void epsilonIsTheConditionalMeanOfTheNoise() {
        int n = 20_000;
        try (NDManager m = NDManager.newBaseManager()) {
            var d = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON);
            for (int t : new int[] {10, 300, 900}) {
                double a = SCHEDULE.alphaCumprod(t);
                NDArray x0 = NoiseSource.seeded(1).normal(m, new Shape(n), t).mul(S).add(MU);
                NDArray eps = NoiseSource.seeded(2).normal(m, new Shape(n), t);
                NDArray xt = x0.mul(Math.sqrt(a)).add(eps.mul(Math.sqrt(1 - a)));
                NDArray residual = eps.sub(d.predict(xt, t));
                double dd = a * S * S + 1 - a;
                double condVar = 1 - (1 - a) / dd;
                double[] r = GaussianMoments.of(residual);
                assertEquals(condVar, r[1], 4 * GaussianMoments.seVariance(condVar, n), "t=" + t);
                NDArray centred = xt.sub(xt.mean());
                double cov = residual.mul(centred).mean().getFloat();
                double seCov = Math.sqrt(condVar * dd / n);
                assertEquals(0, cov, 4 * seCov, "t=" + t + ": residual correlates with x_t");
            }
        }
    }

    /** The x₀ and v variants are the ε variant converted by PredictionType (ε, x₀, v determine each other). */
    @Test
    void variantsAreConsistent() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = NoiseSource.seeded(3).normal(m, new Shape(100), 0).mul(1.3);
            for (double t : new double[] {0, 17, 499.5, 999}) {
                var e = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON);
                double a = e.alphaCumprodAt(t);
                NDArray eps = e.predict(x, t);
                NDArray x0 = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.SAMPLE).predict(x, t);
                NDArray v = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.V_PREDICTION).predict(x, t);
                double scale = Math.max(1, 1 / Math.sqrt(a)); // x₀ from ε divides by √ᾱ
                assertTrue(PredictionType.EPSILON.predictedX0(eps, x, a).sub(x0).abs().max().getFloat() < 1e-5 * scale);
                assertTrue(PredictionType.V_PREDICTION.predictedX0(v, x, a).sub(x0).abs().max().getFloat() < 1e-5 * scale);
                assertTrue(PredictionType.V_PREDICTION.predictedEpsilon(v, x, a).sub(eps).abs().max().getFloat() < 1e-5);
            }
        }
    }

    /** Fractional t interpolates σ between neighbouring training levels, linearly or in log σ. */
    @Test
    void fractionalTimesteps() {
        var lin = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON);
        var log = new AnalyticGaussianDenoiser(SCHEDULE, MU, S, PredictionType.EPSILON,
                AnalyticGaussianDenoiser.Interpolation.LOG_SIGMA);
        assertEquals(SCHEDULE.alphaCumprod(400), lin.alphaCumprodAt(400), 0);
        double s0 = SCHEDULE.sigma(400);
        double s1 = SCHEDULE.sigma(401);
        double sLin = (s0 + s1) / 2;
        double sLog = Math.sqrt(s0 * s1);
        assertEquals(1 / (1 + sLin * sLin), lin.alphaCumprodAt(400.5), 1e-15);
        assertEquals(1 / (1 + sLog * sLog), log.alphaCumprodAt(400.5), 1e-15);
        assertTrue(lin.alphaCumprodAt(400.25) < SCHEDULE.alphaCumprod(400)
                && lin.alphaCumprodAt(400.25) > SCHEDULE.alphaCumprod(401));
        assertThrows(IllegalArgumentException.class, () -> lin.alphaCumprodAt(999.5));
        assertThrows(IllegalArgumentException.class, () -> lin.alphaCumprodAt(-0.1));
    }
}
