package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import org.diffusion4j.diffusion.ConditionalDenoiser;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.nn.UNet2DModel;

/**
 * A {@link UNet2DModel} as a {@link Denoiser}: inference mode (no autograd, no dropout), one
 * timestep for the batch, and for a class-conditional model one class label per batch row. As a
 * {@link ConditionalDenoiser} it takes the labels per call instead (int64 [N]), which is how
 * classifier-free guidance evaluates the conditional and the null-class halves in one batch.
 */
public final class UNetDenoiser implements Denoiser, ConditionalDenoiser {

    private final UNet2DModel unet;
    private final PredictionType predictionType;
    private final long[] labels;

    /** An unconditional denoiser. */
    public UNetDenoiser(UNet2DModel unet, PredictionType predictionType) {
        this(unet, predictionType, null);
    }

    /** A class-conditional denoiser: batch row j gets {@code labels[j]} (null for an unconditional model). */
    public UNetDenoiser(UNet2DModel unet, PredictionType predictionType, long[] labels) {
        this.unet = unet;
        this.predictionType = predictionType;
        this.labels = labels == null ? null : labels.clone();
    }

    @Override
    public NDArray predict(NDArray x, double t) {
        if (labels == null) {
            return unet.predict(x, t);
        }
        if (x.getShape().get(0) != labels.length) {
            throw new IllegalArgumentException("batch of " + x.getShape().get(0) + " but " + labels.length + " labels "
                    + Arrays.toString(labels));
        }
        NDManager m = x.getManager();
        return unet.predict(x, m.create((float) t), m.create(labels));
    }

    /** The UNet under the class labels {@code condition} (int64 [N], one per batch row); the fixed labels are ignored. */
    @Override
    public NDArray predict(NDArray x, double t, NDArray condition) {
        return unet.predict(x, x.getManager().create((float) t), condition);
    }

    @Override
    public PredictionType predictionType() {
        return predictionType;
    }
}
