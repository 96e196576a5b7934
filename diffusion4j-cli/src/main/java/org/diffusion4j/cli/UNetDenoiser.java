package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.sampling.Denoiser;

/** A {@link UNet2DModel} as a {@link Denoiser}: inference mode (no autograd, no dropout), one timestep for the batch. */
final class UNetDenoiser implements Denoiser {

    private final UNet2DModel unet;
    private final PredictionType predictionType;

    UNetDenoiser(UNet2DModel unet, PredictionType predictionType) {
        this.unet = unet;
        this.predictionType = predictionType;
    }

    @Override
    public NDArray predict(NDArray x, double t) {
        return unet.predict(x, t);
    }

    @Override
    public PredictionType predictionType() {
        return predictionType;
    }
}
