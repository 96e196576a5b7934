package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import org.diffusion4j.diffusion.ConditionalDenoiser;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.nn.UNet2DConditionModel;

/**
 * A {@link UNet2DConditionModel} as a {@link ConditionalDenoiser}: inference mode, one timestep for the batch,
 * the condition being the text encoder's hidden states [N, L, D] — what {@code GuidedDenoiser} evaluates on
 * [x; x] with [c; ∅] for classifier-free guidance with a prompt and a negative prompt.
 */
public final class TextUNetDenoiser implements ConditionalDenoiser {

    private final UNet2DConditionModel unet;
    private final PredictionType predictionType;

    public TextUNetDenoiser(UNet2DConditionModel unet, PredictionType predictionType) {
        this.unet = unet;
        this.predictionType = predictionType;
    }

    @Override
    public NDArray predict(NDArray x, double t, NDArray condition) {
        return unet.predict(x, x.getManager().create((float) t), condition);
    }

    @Override
    public PredictionType predictionType() {
        return predictionType;
    }
}
