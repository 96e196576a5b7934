package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * What {@link DiffusionTrainer} trains: a noise predictor with named parameters. The U-Net
 * ({@code UNetTrainable}) is the one shipped; tests use tiny stand-ins.
 */
public interface TrainableModel {

    /**
     * The trainable parameters by diffusers state-dict name: the live arrays the forward pass uses,
     * in the model's manager, in a fixed iteration order. The trainer updates them in place.
     */
    Map<String, NDArray> parameters();

    /**
     * The model output at (x_t, t): same shape as {@code sample}, in {@code sample}'s manager.
     *
     * @param sample x_t, float32 (B, C, H, W)
     * @param timesteps t, int64 (B)
     * @param classLabels int64 (B), or null for an unconditional model
     */
    NDArray forward(NDArray sample, NDArray timesteps, NDArray classLabels);

    /** Training mode turns dropout on. */
    void setTraining(boolean training);

    /** Whether the model takes class labels. */
    default boolean isClassConditional() {
        return false;
    }

    /** The text of {@code unet/config.json} describing this model. */
    String configJson();
}
