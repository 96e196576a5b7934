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
     * @param condition class labels int64 (B), the text context float32 (B, L, D), or null for an unconditional model
     */
    NDArray forward(NDArray sample, NDArray timesteps, NDArray condition);

    /** Training mode turns dropout on. */
    void setTraining(boolean training);

    /** Whether the model takes class labels. */
    default boolean isClassConditional() {
        return false;
    }

    /** Whether the model takes text: its condition is the hidden states of a frozen text encoder. */
    default boolean isTextConditional() {
        return false;
    }

    /** For a text-conditional model: the context [N, L, D] of {@code prompts}, in {@code manager}, no autograd. */
    default NDArray textContext(java.util.List<String> prompts, ai.djl.ndarray.NDManager manager) {
        throw new UnsupportedOperationException("the model does not take text");
    }

    /** Whether the model takes an image: the super-resolution stage of a cascade ({@link #imageCondition}). */
    default boolean isImageConditional() {
        return false;
    }

    /** For an image-conditional model: the condition of training step {@code step} made from its batch {@code x0}. */
    default NDArray imageCondition(NDArray x0, long step, ai.djl.ndarray.NDManager manager) {
        throw new UnsupportedOperationException("the model does not take an image");
    }

    /** Writes the (EMA) {@code weights}, named as {@link #parameters()}, as the model folder's {@code unet/}. */
    default void writeWeights(org.diffusion4j.diffusers.ModelFolder output, Map<String, NDArray> weights) throws java.io.IOException {
        output.writeUnet(configJson(), weights);
    }

    /** The text of {@code unet/config.json} describing this model. */
    String configJson();

    /**
     * Writes the pipeline files around the U-Net: {@code model_index.json} (a DDPMPipeline, with {@code id2label}
     * for a class-conditional model); a text model writes a StableDiffusionPipeline with its tokenizer and encoder.
     */
    default void writePipeline(org.diffusion4j.diffusers.ModelFolder output, java.util.List<String> classNames)
            throws java.io.IOException {
        output.writeModelIndex(isClassConditional() ? classNames : java.util.List.of());
    }
}
