package org.diffusion4j.train;

import org.diffusion4j.diffusers.UNet2DConfigJson;

import ai.djl.ndarray.NDArray;
import java.util.Map;
import org.diffusion4j.nn.UNet2DModel;

/** A {@link UNet2DModel} as a {@link TrainableModel}. */
public final class UNetTrainable implements TrainableModel {

    private final UNet2DModel unet;

    public UNetTrainable(UNet2DModel unet) {
        this.unet = unet;
    }

    /** The wrapped model. */
    public UNet2DModel unet() {
        return unet;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return unet.parameters();
    }

    @Override
    public NDArray forward(NDArray sample, NDArray timesteps, NDArray classLabels) {
        return unet.forward(sample, timesteps, classLabels);
    }

    @Override
    public void setTraining(boolean training) {
        unet.setTraining(training);
    }

    @Override
    public boolean isClassConditional() {
        return unet.config().numClassEmbeds() != null;
    }

    @Override
    public String configJson() {
        return UNet2DConfigJson.toJson(unet.config());
    }
}
