package org.diffusion4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.diffusion.ConditionalDenoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(IntraOpThreads.class)
class GuidedDenoiserTest {

    /** A fake network whose output is x + 10·label (one constant per class), recording each call. */
    static final class Recording implements ConditionalDenoiser {
        final List<long[]> labels = new ArrayList<>();
        final List<Shape> shapes = new ArrayList<>();

        @Override
        public NDArray predict(NDArray x, double t, NDArray condition) {
            labels.add(condition.toLongArray());
            shapes.add(x.getShape());
            NDArray perSample = condition.toType(DataType.FLOAT32, false).mul(10).reshape(-1, 1);
            return x.add(perSample);
        }

        @Override
        public PredictionType predictionType() {
            return PredictionType.V_PREDICTION;
        }
    }

    @Test
    void combinesBothHalvesFromOneBatchedCall() {
        try (NDManager m = NDManager.newBaseManager()) {
            Recording net = new Recording();
            GuidedDenoiser g = GuidedDenoiser.classConditional(net, new long[] {2, 5}, 9, 3.0);
            NDArray x = m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
            float[] out = g.predict(x, 500).toFloatArray();
            assertEquals(1, net.labels.size(), "one network call");
            assertEquals(new Shape(4, 3), net.shapes.get(0));
            assertArrayEquals(new long[] {2, 5, 9, 9}, net.labels.get(0));
            // ε(∅) + w (ε(c) − ε(∅)) = x + 90 + 3·10·(c − 9)
            float[] x0 = x.toFloatArray();
            for (int i = 0; i < 6; i++) {
                long c = i < 3 ? 2 : 5;
                assertEquals(x0[i] + 90 + 3 * 10 * (c - 9), out[i], 1e-4);
            }
            assertEquals(PredictionType.V_PREDICTION, g.predictionType());
        }
    }

    @Test
    void scaleOneIsTheConditionalModelAloneAndZeroTheUnconditional() {
        try (NDManager m = NDManager.newBaseManager()) {
            Recording net = new Recording();
            NDArray x = m.create(new float[] {1, 2}, new Shape(2, 1));
            float[] one = GuidedDenoiser.classConditional(net, new long[] {1, 3}, 7, 1).predict(x, 1).toFloatArray();
            assertArrayEquals(new float[] {11, 32}, one);
            assertEquals(new Shape(2, 1), net.shapes.get(0), "w = 1 evaluates only the conditional half");
            float[] zero = GuidedDenoiser.classConditional(net, new long[] {1, 3}, 7, 0).predict(x, 1).toFloatArray();
            assertArrayEquals(new float[] {71, 72}, zero);
            assertThrows(IllegalArgumentException.class,
                    () -> GuidedDenoiser.classConditional(net, new long[] {1}, 7, 2).predict(x, 1));
            assertThrows(IllegalArgumentException.class, () -> GuidedDenoiser.classConditional(net, new long[] {1}, 7, -1));
        }
    }

    /**
     * Driven through a sampler: class c has data N(μ_c, s²); with w = 1 DDIM returns the class mean, and the
     * caller's manager receives only the result (the conditioning arrays live in the step scopes).
     */
    @Test
    void guidedSamplingReachesTheClassMean() {
        NoiseSchedule schedule = NoiseSchedule.linear();
        double[] mus = {-0.5, 0.7};
        ConditionalDenoiser perClass = new ConditionalDenoiser() {
            @Override
            public NDArray predict(NDArray x, double t, NDArray condition) {
                long[] c = condition.toLongArray();
                NDArray[] rows = new NDArray[c.length];
                for (int i = 0; i < c.length; i++) {
                    rows[i] = new AnalyticGaussianDenoiser(schedule, mus[(int) c[i]], 0.5, PredictionType.EPSILON)
                            .predict(x.get(i), t);
                }
                return ai.djl.ndarray.NDArrays.stack(new ai.djl.ndarray.NDList(rows));
            }

            @Override
            public PredictionType predictionType() {
                return PredictionType.EPSILON;
            }
        };
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xT = NoiseSource.seeded(1).normal(m, new Shape(2, 5000), 0);
            int before = ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size();
            Ddim ddim = new Ddim(schedule, SamplerOptions.ofSteps(20));
            NDArray out = ddim.sample(
                    GuidedDenoiser.classConditional(perClass, new long[] {0, 1}, 1, 1.0), xT,
                    NoiseSource.seeded(2), SamplingListener.NONE);
            assertEquals(before + 1, ((ai.djl.ndarray.BaseNDManager) m).getManagedArrays().size());
            for (int i = 0; i < 2; i++) {
                double[] got = GaussianMoments.of(out.get(i));
                double[] exact = GaussianMoments.ddimChain(schedule, ddim.timesteps(), 0, mus[i], 0.5);
                assertEquals(exact[0], got[0], 4 * GaussianMoments.seMean(exact[1], 5000), "class " + i);
                assertEquals(mus[i], exact[0], 0.01, "20 DDIM steps reach the class mean up to discretisation");
            }
        }
    }
}
