package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.nn.Layers.Conv2d;

/** diffusers' {@code Upsample2D(use_conv=True)}: nearest-neighbour ×2, then a 3×3 convolution. */
final class Upsample2D {
    private final Conv2d conv;

    Upsample2D(ParameterFactory p, String name, int channels) {
        conv = new Conv2d(p, name + ".conv", channels, channels, 3, 1, 1);
    }

    NDArray forward(NDArray x) {
        return conv.forward(Layers.upsampleNearest2x(x));
    }
}
