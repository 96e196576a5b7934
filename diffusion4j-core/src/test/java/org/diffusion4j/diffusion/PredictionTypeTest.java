package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;

/** ε ↔ x₀ ↔ v conversions with per-sample ᾱ, and training targets. */
class PredictionTypeTest {

    final NoiseSchedule schedule = NoiseSchedule.linear();
    final GaussianDiffusion diffusion = new GaussianDiffusion(schedule);
    final int[] t = {0, 10, 500, 999};
    final Shape shape = new Shape(4, 2, 3, 3);
    final int perSample = 18;

    /**
     * For every parameterisation: the target built from (x₀, ε) at x_t = qSample(x₀, t, ε), read
     * back as x̂₀ and ε̂, returns x₀ and ε; converting it to each other type gives that type's
     * target. Float64, all four forms (GaussianDiffusion, √ᾱ/√(1−ᾱ) arrays, float64 ᾱ array).
     */
    @Test
    void everyTypeRoundTripsThroughX0AndEpsilon() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = normal(m, 1, DataType.FLOAT64);
            NDArray eps = normal(m, 2, DataType.FLOAT64);
            NDArray xt = diffusion.qSample(x0, t, eps);
            NDArray a = diffusion.perSample(schedule::sqrtAlphaCumprod, t, x0);
            NDArray s = diffusion.perSample(schedule::sqrtOneMinusAlphaCumprod, t, x0);
            NDArray alphaCumprod = diffusion.alphasCumprod(t, x0);
            for (PredictionType p : PredictionType.values()) {
                NDArray out = diffusion.trainingTarget(p, x0, eps, t);
                assertClose(x0, diffusion.predictedX0(p, out, xt, t), 1e-10, p + " → x₀");
                assertClose(eps, diffusion.predictedEpsilon(p, out, xt, t), 1e-10, p + " → ε");
                assertClose(x0, p.predictedX0(out, xt, alphaCumprod), 1e-10, p + " → x₀ (ᾱ form)");
                assertClose(eps, p.predictedEpsilon(out, xt, alphaCumprod), 1e-10, p + " → ε (ᾱ form)");
                assertClose(out, p.target(x0, eps, alphaCumprod), 1e-12, p + " target (ᾱ form)");
                for (PredictionType to : PredictionType.values()) {
                    assertClose(diffusion.trainingTarget(to, x0, eps, t), p.convert(to, out, xt, a, s), 1e-10, p + " → " + to);
                }
            }
        }
    }

    /** v = √ᾱ ε − √(1−ᾱ) x₀ element by element (Salimans &amp; Ho 2022), each sample with its own t. */
    @Test
    void vTargetIsTheClosedForm() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = normal(m, 1, DataType.FLOAT64);
            NDArray eps = normal(m, 2, DataType.FLOAT64);
            double[] v = diffusion.trainingTarget(PredictionType.V_PREDICTION, x0, eps, t).toDoubleArray();
            double[] a = x0.toDoubleArray();
            double[] e = eps.toDoubleArray();
            for (int i = 0; i < v.length; i++) {
                double ab = schedule.alphaCumprod(t[i / perSample]);
                assertEquals(Math.sqrt(ab) * e[i] - Math.sqrt(1 - ab) * a[i], v[i], 1e-14);
            }
        }
    }

    /** The per-sample forms agree, sample by sample, with the scalar-ᾱ forms already on main. */
    @Test
    void perSampleFormsAgreeWithScalarForms() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray out = normal(m, 3, DataType.FLOAT64);
            NDArray xt = normal(m, 4, DataType.FLOAT64);
            for (PredictionType p : PredictionType.values()) {
                NDArray x0 = diffusion.predictedX0(p, out, xt, t);
                NDArray eps = diffusion.predictedEpsilon(p, out, xt, t);
                for (int j = 0; j < t.length; j++) {
                    double ab = schedule.alphaCumprod(t[j]);
                    assertClose(p.predictedX0(out.get(j), xt.get(j), ab), x0.get(j), 1e-12, p + " x₀ sample " + j);
                    assertClose(p.predictedEpsilon(out.get(j), xt.get(j), ab), eps.get(j), 1e-12, p + " ε sample " + j);
                }
            }
        }
    }

    /** In float32 (what training uses) the round trip holds to float32 precision amplified by 1/√ᾱ. */
    @Test
    void float32RoundTripIsAccurate() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x0 = normal(m, 1, DataType.FLOAT32);
            NDArray eps = normal(m, 2, DataType.FLOAT32);
            NDArray xt = diffusion.qSample(x0, t, eps);
            for (PredictionType p : PredictionType.values()) {
                NDArray out = diffusion.trainingTarget(p, x0, eps, t);
                assertEquals(DataType.FLOAT32, out.getDataType());
                // x̂₀ from ε at t = 999 divides by √ᾱ ≈ 6.4e-3: float32 rounding of x_t grows ~160×.
                assertClose(x0, diffusion.predictedX0(p, out, xt, t), 1e-4, p + " → x₀");
                assertClose(eps, diffusion.predictedEpsilon(p, out, xt, t), 2e-4, p + " → ε");
            }
        }
    }

    @Test
    void namesParse() {
        assertEquals(PredictionType.V_PREDICTION, PredictionType.parse("v_prediction"));
        assertEquals(VarianceType.FIXED_SMALL, VarianceType.parse("fixed_small_log"));
        assertEquals(VarianceType.LEARNED_RANGE, VarianceType.parse("learned_range"));
        assertThrows(IllegalArgumentException.class, () -> VarianceType.parse("fixed_medium"));
    }

    private NDArray normal(NDManager m, long index, DataType dtype) {
        return NoiseSource.seeded(11).normal(m, shape, index).toType(dtype, false);
    }

    static void assertClose(NDArray expected, NDArray actual, double tol, String what) {
        assertEquals(expected.getShape(), actual.getShape(), what + " shape");
        double[] e = expected.toType(DataType.FLOAT64, false).toDoubleArray();
        double[] a = actual.toType(DataType.FLOAT64, false).toDoubleArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tol * Math.max(1, Math.abs(e[i])), what + " element " + i);
        }
    }
}
