package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.lang.reflect.Field;
import java.util.Map;
import org.diffusion4j.schedule.BetaSchedule;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;

/**
 * Native memory stays flat: the methods free their intermediates, leave exactly their results in
 * the caller's manager, and register those results with the caller's {@link NDScope} like any DJL
 * op — without ever closing an input.
 */
class ScopeHygieneTest {

    final GaussianDiffusion diffusion = new GaussianDiffusion(NoiseSchedule.linear());
    final Shape shape = new Shape(2, 3, 4, 4);

    @Test
    void methodsLeaveOnlyTheirResultsInTheManager() throws Exception {
        try (NDManager root = NDManager.newBaseManager(); NDManager m = root.newSubManager()) {
            NDArray x0 = NoiseSource.seeded(1).normal(m, shape, 0);
            NDArray eps = NoiseSource.seeded(1).normal(m, shape, 1);
            int[] t = {3, 700};
            int before = resources(m);
            NDArray xt = diffusion.qSample(x0, t, eps);
            assertEquals(before + 1, resources(m), "qSample leaves one array");
            diffusion.qPosteriorMeanVariance(x0, xt, t);
            assertEquals(before + 4, resources(m), "the posterior leaves mean, variance, log-variance");
            diffusion.pMeanVariance(eps, PredictionType.V_PREDICTION, xt, t, true, VarianceType.FIXED_LARGE);
            assertEquals(before + 8, resources(m), "p_θ leaves mean, variance, log-variance, x̂₀");
            Losses.lossSimple(xt, eps, new double[] {1, 2});
            assertEquals(before + 9, resources(m), "a weighted loss leaves one array");
            NDArray clipped = x0.clip(-1, 1);
            NDArray zeros = xt.zerosLike();
            int mark = resources(m);
            Losses.discretizedGaussianLogLikelihood(clipped, xt, zeros);
            Losses.normalKl(clipped, zeros, xt, zeros);
            Losses.meanFlat(clipped);
            assertEquals(mark + 3, resources(m), "likelihood, KL, mean_flat leave one array each");
        }
    }

    @Test
    void variationalBoundFreesEveryStep() throws Exception {
        NoiseSchedule short10 = NoiseSchedule.of(BetaSchedule.LINEAR, 10, 1e-3, 0.2);
        VariationalBound bound = new VariationalBound(new GaussianDiffusion(short10));
        try (NDManager root = NDManager.newBaseManager(); NDManager m = root.newSubManager()) {
            NDArray x0 = NoiseSource.seeded(2).normal(m, shape, 0).clip(-1, 1).add(1).mul(127.5).round().div(127.5).sub(1);
            int before = resources(m);
            VariationalBound.Result r = bound.bitsPerDim(ReverseProcessTest.constant(x0.zerosLike(), PredictionType.EPSILON), x0,
                    VariationalBound.Options.defaults(), NoiseSource.seeded(3), VariationalBound.Listener.NONE);
            assertEquals(10, r.timesteps().length);
            assertEquals(before + 1, resources(m), "only the zeros made for the test's denoiser remain");
        }
    }

    @Test
    void resultsJoinTheCallersScopeAndInputsAreNeverClosed() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = NoiseSource.seeded(1).normal(m, shape, 0);
            NDArray eps = NoiseSource.seeded(1).normal(m, shape, 1);
            int[] t = {3, 700};
            NDArray xt;
            NDArray x0Hat;
            try (NDScope scope = new NDScope()) {
                xt = diffusion.qSample(x0, t, eps);
                // an x₀-model's output is returned as x̂₀ itself: it must not be adopted by the scope
                x0Hat = diffusion.predictedX0(PredictionType.SAMPLE, x0, xt, t);
                assertSame(x0, x0Hat);
                scope.suppressNotUsedWarning();
            }
            assertTrue(xt.isReleased(), "the result was registered with the caller's scope");
            assertFalse(x0.isReleased(), "inputs are never closed");
            assertFalse(eps.isReleased());
            assertEquals(shape, x0.getShape());
        }
    }

    private static int resources(NDManager m) throws Exception {
        Field f = BaseNDManager.class.getDeclaredField("resources");
        f.setAccessible(true);
        return ((Map<?, ?>) f.get(m)).size();
    }
}
