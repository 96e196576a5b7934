package org.diffusion4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusers.UNet2DConditionFolder;
import org.diffusion4j.nn.ClipTextModel;
import org.diffusion4j.nn.ClipTokenizer;
import org.diffusion4j.nn.UNet2DConditionModel;

/**
 * A text-conditional {@link UNet2DConditionModel} as a {@link TrainableModel}, with its text encoder frozen
 * (Imagen, Stable Diffusion): only the U-Net's parameters train; the captions' hidden states are its condition.
 */
public final class UNet2DConditionTrainable implements TrainableModel {

    private final UNet2DConditionModel unet;
    private final ClipTokenizer tokenizer;
    private final ClipTextModel textEncoder;
    private final Path textEncoderDir;
    private final Path vaeDir;

    /**
     * @param textEncoderDir the folder the tokenizer and encoder came from (copied into the model folder on save)
     */
    public UNet2DConditionTrainable(UNet2DConditionModel unet, ClipTokenizer tokenizer, ClipTextModel textEncoder,
            Path textEncoderDir) {
        this(unet, tokenizer, textEncoder, textEncoderDir, null);
    }

    /**
     * @param vaeDir a latent model's auto-encoder folder (copied into the model folder as {@code vae/} on save), or null
     */
    public UNet2DConditionTrainable(UNet2DConditionModel unet, ClipTokenizer tokenizer, ClipTextModel textEncoder,
            Path textEncoderDir, Path vaeDir) {
        if (unet.config().crossAttentionDim() != textEncoder.config().hiddenSize()) {
            throw new IllegalArgumentException("model.cross_attention_dim " + unet.config().crossAttentionDim()
                    + " must equal the text encoder's hidden_size " + textEncoder.config().hiddenSize() + " (" + textEncoderDir + ")");
        }
        this.unet = unet;
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.textEncoderDir = textEncoderDir;
        this.vaeDir = vaeDir;
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    @Override
    public Map<String, NDArray> parameters() {
        return unet.parameters();
    }

    @Override
    public NDArray forward(NDArray sample, NDArray timesteps, NDArray condition) {
        return unet.forward(sample, timesteps, condition, org.diffusion4j.nn.ActivationProbe.NONE);
    }

    @Override
    public void setTraining(boolean training) {
        // no dropout in this U-Net
    }

    @Override
    public boolean isTextConditional() {
        return true;
    }

    @Override
    public NDArray textContext(List<String> prompts, NDManager manager) {
        float[] states = textEncoder.encode(tokenizer, prompts, manager);
        return manager.create(states, new Shape(prompts.size(), tokenizer.maxLength(), textEncoder.config().hiddenSize()));
    }

    @Override
    public String configJson() {
        return UNet2DConditionFolder.toJson(unet.config());
    }

    @Override
    public void writePipeline(ModelFolder output, List<String> classNames) throws IOException {
        output.writeStableDiffusionIndex(textEncoderDir, vaeDir);
    }
}
