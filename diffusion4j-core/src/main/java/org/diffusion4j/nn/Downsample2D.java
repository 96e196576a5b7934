package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import org.diffusion4j.nn.Layers.Conv2d;

/**
 * diffusers' {@code Downsample2D(use_conv=True)}: a 3×3 convolution with stride 2 halves H and W.
 * With {@code downsample_padding = 0} (the original DDPM checkpoints) the input is first padded by
 * one zero row at the bottom and one zero column at the right and the conv has no padding; with 1
 * the conv pads by 1 on every side.
 */
final class Downsample2D {
    private static final long[] PAD_RIGHT_BOTTOM = {0, 1, 0, 1};
    private final Conv2d conv;
    private final boolean padRightBottom;

    Downsample2D(ParameterFactory p, String name, int channels, int padding) {
        conv = new Conv2d(p, name + ".conv", channels, channels, 3, 2, padding);
        padRightBottom = padding == 0;
    }

    NDArray forward(NDArray x) {
        return conv.forward(padRightBottom ? JniUtils.pad((PtNDArray) x, PAD_RIGHT_BOTTOM, 0) : x);
    }
}
