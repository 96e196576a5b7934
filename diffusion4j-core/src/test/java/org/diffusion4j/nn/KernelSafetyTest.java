package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.nn.UNet2DConfig.DownBlockType;
import org.diffusion4j.nn.UNet2DConfig.UpBlockType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole U-Nets with channel counts that leave oneDNN's channel blocks partly empty (1, 3, 8, 24,
 * 40) give the float64 model's outputs and gradients, with libtorch's memory poisoned with NaN
 * before each pass, and the same gradients bit for bit on every repetition. The float64 copy
 * ({@link UNet2DModel#toFloat64}) runs on libtorch's own kernels, so it is an independent
 * reference. Tagged {@code kernel}: the build runs it under the default ISA and under
 * {@code ONEDNN_MAX_CPU_ISA=AVX2}.
 */
@Tag("kernel")
class KernelSafetyTest {

    /** float32 against float64 through a whole U-Net: measured ≤ 3e-6; wrong kernels give 0.1–1 or NaN. */
    static final double TOLERANCE = 1e-4;

    static NDManager manager;
    static int threads;

    @BeforeAll
    static void open() {
        threads = IntraOpThreads.useOne();
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
        IntraOpThreads.restore(threads);
    }

    /** in_channels 1: widths [24, 40] (the model); 3: widths [8, 24]; attention on the second level. */
    static UNet2DConfig config(int channels) {
        int[] widths = channels == 1 ? new int[] {24, 40} : new int[] {8, 24};
        return UNet2DConfig.builder().setSampleSize(12).setInChannels(channels).setOutChannels(channels)
                .setBlockOutChannels(widths)
                .setDownBlockTypes(DownBlockType.DOWN_BLOCK_2D, DownBlockType.ATTN_DOWN_BLOCK_2D)
                .setUpBlockTypes(UpBlockType.ATTN_UP_BLOCK_2D, UpBlockType.UP_BLOCK_2D)
                .optLayersPerBlock(1).optNormNumGroups(8).optAttentionHeadDim(8).build();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void forwardAndGradientsMatchFloat64WithPoisonedMemory(int channels) {
        try (NDManager m = manager.newSubManager();
                UNet2DModel unet = UNet2DModel.create(config(channels), m, 7);
                UNet2DModel reference = unet.toFloat64(m)) {
            Shape shape = new Shape(4, channels, 12, 12);
            NDArray x = NoiseSource.seeded(1).normal(m, shape, 0);
            NDArray target = NoiseSource.seeded(2).normal(m, shape, 0);
            NDArray t = m.create(new long[] {3, 250, 600, 999});

            Map<String, double[]> expected = gradients(reference, x.toType(DataType.FLOAT64, false),
                    target.toType(DataType.FLOAT64, false), t);
            List<Map<String, double[]>> runs = new ArrayList<>();
            for (int rep = 0; rep < 3; rep++) {
                ConvolutionAudit.poison(m, rep);
                runs.add(gradients(unet, x, target, t));
            }
            // Some gradients are zero in exact arithmetic (a key bias under softmax, a bias before a
            // one-channel group norm): measure every tensor against at least 1e-3 of the largest gradient.
            double floor = 1e-3 * expected.values().stream().flatMapToDouble(java.util.Arrays::stream)
                    .map(Math::abs).max().orElseThrow();
            for (String name : expected.keySet()) {
                double error = errorAgainst(runs.get(0).get(name), expected.get(name), floor);
                assertTrue(error <= TOLERANCE, "∂L/∂" + name + ": relative error " + error + " against float64");
                for (int rep = 1; rep < runs.size(); rep++) {
                    assertArrayEquals(runs.get(0).get(name), runs.get(rep).get(name), 0, name + " repetition " + rep);
                }
            }

            for (int rep = 0; rep < 2; rep++) {
                ConvolutionAudit.poison(m, rep);
                try (NDManager step = m.newSubManager()) {
                    NDArray y = unet.predict(x.duplicate(), t);
                    y.attach(step);
                    NDArray y64 = reference.predict(x.toType(DataType.FLOAT64, false), t);
                    y64.attach(step);
                    double error = ConvolutionAudit.relativeError(y.toType(DataType.FLOAT64, false).toDoubleArray(),
                            y64.toDoubleArray());
                    assertTrue(error <= TOLERANCE, "forward: relative error " + error + " against float64");
                }
            }
        }
    }

    /** max |a − ref| / max(max |ref|, floor); +∞ for a non-finite a. */
    private static double errorAgainst(double[] a, double[] ref, double floor) {
        double diff = 0, scale = floor;
        for (int i = 0; i < a.length; i++) {
            if (!Double.isFinite(a[i])) {
                return Double.POSITIVE_INFINITY;
            }
            diff = Math.max(diff, Math.abs(a[i] - ref[i]));
            scale = Math.max(scale, Math.abs(ref[i]));
        }
        return diff / scale;
    }

    /** The key "loss" and ∂L/∂θ for L = mean((unet(x, t) − target)²), in float64. */
    private static Map<String, double[]> gradients(UNet2DModel model, NDArray x, NDArray target, NDArray t) {
        Map<String, double[]> result = new LinkedHashMap<>();
        Map<String, NDArray> parameters = model.parameters();
        parameters.values().forEach(p -> p.setRequiresGradient(true));
        try (NDManager step = x.getManager().newSubManager()) {
            NDArray xs = x.duplicate();
            xs.attach(step);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = model.forward(xs, t).sub(target).square().mean();
                result.put("loss", new double[] {loss.toType(DataType.FLOAT64, false).getDouble()});
                collector.backward(loss);
            }
            parameters.forEach((name, p) -> {
                NDArray g = p.getGradient();
                result.put(name, g.toType(DataType.FLOAT64, false).toDoubleArray());
                g.close();
            });
        } finally {
            parameters.values().forEach(p -> JniUtils.zeroGrad((PtNDArray) p));
        }
        return result;
    }
}
