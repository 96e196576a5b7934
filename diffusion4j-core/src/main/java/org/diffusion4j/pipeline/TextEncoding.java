package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.diffusion4j.nn.ClipTextModel;
import org.diffusion4j.nn.ClipTokenizer;
import org.diffusion4j.sampling.GuidedDenoiser;

/**
 * Prompts as the U-Net's cross-attention context, the way StableDiffusionPipeline makes it: each prompt
 * tokenized to the context length ({@code padding="max_length"}, truncated), encoded with the causal mask
 * only, and its whole {@code last_hidden_state} [L, D] kept (padding positions included).
 */
public final class TextEncoding {

    private final ClipTokenizer tokenizer;
    private final ClipTextModel encoder;

    public TextEncoding(ClipTokenizer tokenizer, ClipTextModel encoder) {
        if (tokenizer.maxLength() > encoder.config().maxPositionEmbeddings()) {
            throw new IllegalArgumentException("the tokenizer's model_max_length " + tokenizer.maxLength()
                    + " exceeds the text encoder's max_position_embeddings " + encoder.config().maxPositionEmbeddings());
        }
        this.tokenizer = tokenizer;
        this.encoder = encoder;
    }

    /** The hidden states of {@code prompts}, float32 [N, L, D], flattened row-major. */
    public float[] encode(List<String> prompts, NDManager manager) {
        return encoder.encode(tokenizer, prompts, manager);
    }

    /** The shape of one prompt's encoding: {L, D}. */
    public long[] shape() {
        return new long[] {tokenizer.maxLength(), encoder.config().hiddenSize()};
    }

    /**
     * Classifier-free guidance on text (Ho &amp; Salimans 2022; negative prompts as the null condition, as
     * diffusers does): ε(∅) + w (ε(c) − ε(∅)) with c = the prompts and ∅ = the negative prompts ("" for none).
     */
    public GuidedDenoiser guided(TextUNetDenoiser unet, List<String> prompts, List<String> negativePrompts, double guidance,
            NDManager manager) {
        if (negativePrompts.size() != prompts.size()) {
            throw new IllegalArgumentException(negativePrompts.size() + " negative prompts for " + prompts.size() + " prompts");
        }
        Shape shape = new Shape(prompts.size(), shape()[0], shape()[1]);
        float[] c = encode(prompts, manager);
        float[] none = encode(negativePrompts, manager);
        return new GuidedDenoiser(unet, m -> m.create(c, shape), m -> m.create(none, shape), guidance);
    }
}
