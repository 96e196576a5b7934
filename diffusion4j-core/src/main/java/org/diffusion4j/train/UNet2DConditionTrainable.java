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
 * A text-conditional {@link UNet2DConditionModel} as a {@link TrainableModel}. By default its text encoder is frozen
 * (Imagen, Stable Diffusion): only the U-Net's parameters train and the captions' hidden states are its condition. With
 * a trained encoder ({@link #withTrainedEncoder}: the joint and bag-of-words arms of the ablation) the condition is the
 * token ids, the encoder runs inside the forward pass, and its parameters train with the U-Net's; it is saved as the
 * model folder's {@code text_encoder/}.
 */
public final class UNet2DConditionTrainable implements TrainableModel {

    private final UNet2DConditionModel unet;
    private final ClipTokenizer tokenizer;
    private final ClipTextModel textEncoder;
    private final Path textEncoderDir;
    private final Path vaeDir;
    private final boolean encoderTrains;
    private final java.util.Set<String> frozenEncoderParameters;

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
        this.encoderTrains = false;
        this.frozenEncoderParameters = java.util.Set.of();
    }

    private UNet2DConditionTrainable(UNet2DConditionTrainable frozen, ClipTextModel encoder, java.util.Set<String> fixed) {
        this.unet = frozen.unet;
        this.tokenizer = frozen.tokenizer;
        this.textEncoder = encoder;
        this.textEncoderDir = frozen.textEncoderDir;
        this.vaeDir = frozen.vaeDir;
        this.encoderTrains = true;
        this.frozenEncoderParameters = java.util.Set.copyOf(fixed);
    }

    /**
     * This model with {@code encoder} trained along with the U-Net, except for the parameters named in {@code fixed}
     * (e.g. the zero position embedding of a bag of words), which keep their values.
     */
    public UNet2DConditionTrainable withTrainedEncoder(ClipTextModel encoder, java.util.Set<String> fixed) {
        if (encoder.config().hiddenSize() != unet.config().crossAttentionDim()) {
            throw new IllegalArgumentException("the encoder's hidden_size " + encoder.config().hiddenSize()
                    + " must equal model.cross_attention_dim " + unet.config().crossAttentionDim());
        }
        return new UNet2DConditionTrainable(this, encoder, fixed);
    }

    /** Whether the text encoder trains with the U-Net. */
    public boolean encoderTrains() {
        return encoderTrains;
    }

    public ClipTextModel textEncoder() {
        return textEncoder;
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    @Override
    public Map<String, NDArray> parameters() {
        if (!encoderTrains) {
            return unet.parameters();
        }
        Map<String, NDArray> all = new java.util.LinkedHashMap<>(unet.parameters());
        textEncoder.parameters().forEach((name, p) -> {
            if (!frozenEncoderParameters.contains(name)) {
                all.put(name, p);
            }
        });
        return all;
    }

    /** With a trained encoder, {@code condition} is the token ids [B, L], encoded here (with autograd). */
    @Override
    public NDArray forward(NDArray sample, NDArray timesteps, NDArray condition) {
        NDArray context = encoderTrains ? textEncoder.forward(condition).lastHiddenState() : condition;
        return unet.forward(sample, timesteps, context, org.diffusion4j.nn.ActivationProbe.NONE);
    }

    @Override
    public void setTraining(boolean training) {
        // no dropout in this U-Net
    }

    @Override
    public boolean isTextConditional() {
        return true;
    }

    /** The frozen encoder's hidden states [N, L, D]; with a trained encoder the token ids [N, L] (encoded in {@link #forward}). */
    @Override
    public NDArray textContext(List<String> prompts, NDManager manager) {
        if (encoderTrains) {
            return manager.create(tokenizer.encodeBatch(prompts), new Shape(prompts.size(), tokenizer.maxLength()));
        }
        float[] states = textEncoder.encode(tokenizer, prompts, manager);
        return manager.create(states, new Shape(prompts.size(), tokenizer.maxLength(), textEncoder.config().hiddenSize()));
    }

    @Override
    public String configJson() {
        return UNet2DConditionFolder.toJson(unet.config());
    }

    /** The U-Net's weights to {@code unet/}; a trained encoder's ({@code text_model.*}, with its fixed ones) to {@code text_encoder/}. */
    @Override
    public void writeWeights(ModelFolder output, Map<String, NDArray> weights) throws IOException {
        if (!encoderTrains) {
            output.writeUnet(configJson(), weights);
            return;
        }
        Map<String, NDArray> unetWeights = new java.util.LinkedHashMap<>();
        Map<String, NDArray> encoderWeights = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : weights.entrySet()) {
            (e.getKey().startsWith(ClipTextModel.PREFIX) ? encoderWeights : unetWeights).put(e.getKey(), e.getValue());
        }
        for (String name : frozenEncoderParameters) {
            encoderWeights.put(name, textEncoder.parameters().get(name));
        }
        output.writeUnet(configJson(), unetWeights);
        org.diffusion4j.diffusers.ClipTextFolder.save(textEncoder.config(), encoderWeights, output.root().resolve("text_encoder"));
    }

    @Override
    public void writePipeline(ModelFolder output, List<String> classNames) throws IOException {
        output.writeStableDiffusionIndex(textEncoderDir, vaeDir, !encoderTrains);
    }
}
