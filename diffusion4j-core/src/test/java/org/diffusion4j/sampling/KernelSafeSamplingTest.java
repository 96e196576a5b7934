package org.diffusion4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.nn.ConvolutionAudit;
import org.diffusion4j.nn.UNet2DConfig;
import org.diffusion4j.nn.UNet2DConfig.DownBlockType;
import org.diffusion4j.nn.UNet2DConfig.UpBlockType;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every registered sampler, driven by a U-Net whose widths leave oneDNN's channel blocks partly
 * empty (1 channel, [24, 40], 12×12 — the model that gave NaN on AVX-512 before the kernel-safe
 * convolution), gives the same images on 10 runs with libtorch's memory poisoned before each, and
 * lands within {@value #TOLERANCE} × max |x| of the same loop run in float64 (the float64 U-Net
 * uses libtorch's own kernels, not oneDNN's). Tagged {@code kernel}: also run under AVX2.
 */
@Tag("kernel")
@ExtendWith(IntraOpThreads.class)
class KernelSafeSamplingTest {

    static final double TOLERANCE = 1e-5;
    static final int RUNS = 10;

    static NDManager manager;
    static UNet2DModel unet;
    static UNet2DModel reference;

    @BeforeAll
    static void load() {
        manager = NDManager.newBaseManager();
        UNet2DConfig config = UNet2DConfig.builder().setSampleSize(12).setInChannels(1).setOutChannels(1)
                .setBlockOutChannels(24, 40)
                .setDownBlockTypes(DownBlockType.DOWN_BLOCK_2D, DownBlockType.ATTN_DOWN_BLOCK_2D)
                .setUpBlockTypes(UpBlockType.ATTN_UP_BLOCK_2D, UpBlockType.UP_BLOCK_2D)
                .optLayersPerBlock(1).optNormNumGroups(8).optAttentionHeadDim(8).build();
        unet = UNet2DModel.create(config, manager, 11);
        reference = unet.toFloat64(manager);
    }

    @AfterAll
    static void close() {
        reference.close();
        unet.close();
        manager.close();
    }

    static Iterable<String> samplers() {
        return Samplers.names();
    }

    @ParameterizedTest
    @MethodSource("samplers")
    void sameImagesEveryRunAndFloat64Accurate(String name) {
        Sampler sampler = Samplers.create(name, NoiseSchedule.cosine(), SamplerOptions.ofSteps(10));
        try (NDManager m = manager.newSubManager()) {
            NDArray xT = NoiseSource.seeded(5).normal(m, new Shape(2, 1, 12, 12), 0);
            double[] expected = sample(sampler, reference, xT.toType(DataType.FLOAT64, false));
            double scale = java.util.Arrays.stream(expected).map(Math::abs).max().orElseThrow();
            double[] first = null;
            for (int run = 0; run < RUNS; run++) {
                ConvolutionAudit.poison(m, run);
                double[] x0 = sample(sampler, unet, xT);
                if (first == null) {
                    first = x0;
                    double error = ConvolutionAudit.relativeError(x0, expected);
                    assertTrue(error <= TOLERANCE, name + ": " + error + " × max|x| from the float64 loop");
                } else {
                    assertArrayEquals(first, x0, 0, name + ": run " + run + " differs from run 0");
                }
            }
            assertTrue(scale > 0.1, "the loop produced an image");
        }
    }

    private static double[] sample(Sampler sampler, UNet2DModel model, NDArray xT) {
        try (NDManager m = xT.getManager().newSubManager()) {
            Denoiser denoiser = Denoiser.of(PredictionType.EPSILON, model::predict);
            NDArray x = sampler.sample(denoiser, xT.duplicate(), NoiseSource.seeded(6), SamplingListener.NONE);
            x.attach(m);
            return x.toType(DataType.FLOAT64, false).toDoubleArray();
        }
    }
}
