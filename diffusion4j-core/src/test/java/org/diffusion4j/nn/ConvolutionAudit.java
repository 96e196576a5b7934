package org.diffusion4j.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Checks one 2-D convolution configuration — forward, backward-data (∂L/∂x) and backward-weights
 * (∂L/∂W, ∂L/∂b) — against a float64 reference, after poisoning libtorch's memory with NaN.
 *
 * <p>The float32 path is whatever {@link Conv} the caller hands in (raw libtorch, or the project's
 * {@link Convolution} entry point); the reference is libtorch's float64 convolution, which never
 * takes the oneDNN path (oneDNN convolves float32/bf16 only) and so is immune to the bug this
 * audits: oneDNN kernels reading a partly empty channel block's padding. Poisoning allocates
 * NaN-filled tensors of many sizes and frees them just before the computation, so a kernel that
 * reads memory it never wrote sees NaN rather than the zeros a fresh page would give.
 */
public final class ConvolutionAudit {

    /** Relative error above which a result is wrong: float32 accumulation stays far below it. */
    static final double TOLERANCE = 1e-4;

    /** A float32 convolution under test: x [N, C, H, W], weight [O, C, k, k], bias [O]. */
    interface Conv {
        NDArray apply(NDArray x, NDArray weight, NDArray bias, int stride, int padding);
    }

    /** libtorch's convolution as DJL exposes it, with nothing in between. */
    static final Conv RAW = (x, w, b, stride, padding) -> JniUtils.convolution((PtNDArray) x, (PtNDArray) w,
            (PtNDArray) b, new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), 1);

    /** The project's entry point. */
    static final Conv ENTRY_POINT = Convolution::conv2d;

    record Config(int batch, int inChannels, int outChannels, int kernel, int stride, int size) {
        int padding() {
            return kernel / 2;
        }

        @Override
        public String toString() {
            return String.format("N=%d ic=%d oc=%d k=%d s=%d %dx%d", batch, inChannels, outChannels, kernel, stride,
                    size, size);
        }
    }

    /** Worst relative error over the repetitions, per result; NaN when any repetition gave a non-finite value. */
    record Errors(double forward, double backwardData, double backwardWeights, int failedRepetitions) {
        boolean ok() {
            return failedRepetitions == 0;
        }
    }

    private ConvolutionAudit() {}

    /** Every combination of the given channel counts, kernels, strides and batch sizes. */
    static List<Config> grid(int[] channels, int[] kernels, int[] strides, int[] batches, int size) {
        List<Config> configs = new ArrayList<>();
        for (int batch : batches) {
            for (int kernel : kernels) {
                for (int stride : strides) {
                    for (int ic : channels) {
                        for (int oc : channels) {
                            configs.add(new Config(batch, ic, oc, kernel, stride, size));
                        }
                    }
                }
            }
        }
        return configs;
    }

    /** Runs {@code config} {@code repetitions} times through {@code conv}, poisoning memory before each. */
    static Errors check(Conv conv, Config config, int repetitions, long seed) {
        try (NDManager manager = NDManager.newBaseManager()) {
            SplittableRandom random = new SplittableRandom(seed);
            Shape xShape = new Shape(config.batch(), config.inChannels(), config.size(), config.size());
            Shape wShape = new Shape(config.outChannels(), config.inChannels(), config.kernel(), config.kernel());
            Shape bShape = new Shape(config.outChannels());
            float[] x = uniform(random, xShape);
            float[] w = uniform(random, wShape);
            float[] b = uniform(random, bShape);
            int out = (config.size() + 2 * config.padding() - config.kernel()) / config.stride() + 1;
            Shape yShape = new Shape(config.batch(), config.outChannels(), out, out);
            float[] g = uniform(random, yShape);
            Result reference = run(manager, RAW, config, DataType.FLOAT64, x, w, b, g, xShape, wShape, bShape, yShape);
            double forward = 0, data = 0, weights = 0;
            int failed = 0;
            for (int rep = 0; rep < repetitions; rep++) {
                poison(manager, rep);
                Result r = run(manager, conv, config, DataType.FLOAT32, x, w, b, g, xShape, wShape, bShape, yShape);
                double ef = relativeError(r.y, reference.y);
                double ed = relativeError(r.dx, reference.dx);
                double ew = Math.max(relativeError(r.dw, reference.dw), relativeError(r.db, reference.db));
                forward = worse(forward, ef);
                data = worse(data, ed);
                weights = worse(weights, ew);
                if (!(ef <= TOLERANCE && ed <= TOLERANCE && ew <= TOLERANCE)) {
                    failed++;
                }
            }
            return new Errors(forward, data, weights, failed);
        }
    }

    private record Result(double[] y, double[] dx, double[] dw, double[] db) {}

    private static Result run(NDManager parent, Conv conv, Config c, DataType type, float[] x, float[] w, float[] b,
            float[] g, Shape xs, Shape ws, Shape bs, Shape ys) {
        try (NDManager m = parent.newSubManager()) {
            NDArray xa = m.create(x, xs).toType(type, false);
            NDArray wa = m.create(w, ws).toType(type, false);
            NDArray ba = m.create(b, bs).toType(type, false);
            NDArray ga = m.create(g, ys).toType(type, false);
            xa.setRequiresGradient(true);
            wa.setRequiresGradient(true);
            ba.setRequiresGradient(true);
            NDArray y;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                y = conv.apply(xa, wa, ba, c.stride(), c.padding());
                collector.backward(y.mul(ga).sum()); // ∂L/∂y = g
            }
            return new Result(doubles(y), doubles(xa.getGradient()), doubles(wa.getGradient()),
                    doubles(ba.getGradient()));
        }
    }

    /**
     * Allocates and frees NaN-filled tensors from 64 bytes to 1 MiB, several of each size, so that
     * the allocations that follow reuse memory holding NaN.
     */
    public static void poison(NDManager parent, int salt) {
        if (Boolean.getBoolean("conv.audit.noPoison")) {
            return;
        }
        try (NDManager m = parent.newSubManager()) {
            for (long elements = 16 + salt; elements <= 1 << 18; elements = elements * 2 + 16) {
                for (int i = 0; i < 2; i++) {
                    m.full(new Shape(elements), Float.NaN, DataType.FLOAT32);
                }
            }
        }
    }

    private static double[] doubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    private static float[] uniform(SplittableRandom random, Shape shape) {
        float[] v = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (2 * random.nextDouble() - 1);
        }
        return v;
    }

    /** max |a − ref| / max |ref|; +∞ when a has a non-finite element. */
    public static double relativeError(double[] a, double[] ref) {
        double diff = 0, scale = 1e-30;
        for (int i = 0; i < a.length; i++) {
            if (!Double.isFinite(a[i])) {
                return Double.POSITIVE_INFINITY;
            }
            diff = Math.max(diff, Math.abs(a[i] - ref[i]));
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        return diff / scale;
    }

    private static double worse(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) ? Double.NaN : Math.max(a, b);
    }
}
