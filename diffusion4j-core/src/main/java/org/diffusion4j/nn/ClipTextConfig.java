package org.diffusion4j.nn;

/**
 * The architecture of a {@link ClipTextModel}: the fields of transformers' {@code CLIPTextConfig} that
 * change the network (Radford et al. 2021: token and position embeddings, pre-LayerNorm causal
 * transformer, final LayerNorm). Validated on construction. Read from and written to {@code config.json}
 * by {@code diffusers.ClipTextFolder}.
 *
 * @param vocabSize tokens in the embedding table
 * @param hiddenSize D, the width (= the U-Net's {@code cross_attention_dim})
 * @param intermediateSize the MLP's hidden width
 * @param numHiddenLayers transformer blocks
 * @param numAttentionHeads heads per block (D must divide by it)
 * @param maxPositionEmbeddings the context length L
 * @param layerNormEps ε of every LayerNorm
 * @param hiddenAct {@code quick_gelu} (CLIP's x·σ(1.702x)) or {@code gelu}
 * @param eosTokenId the end-of-text id; 2 is the legacy value that makes the pooler take argmax(input_ids)
 */
public record ClipTextConfig(int vocabSize, int hiddenSize, int intermediateSize, int numHiddenLayers, int numAttentionHeads,
        int maxPositionEmbeddings, double layerNormEps, String hiddenAct, int eosTokenId) {

    public ClipTextConfig {
        positive("vocab_size", vocabSize, 1 << 20);
        positive("hidden_size", hiddenSize, 1 << 14);
        positive("intermediate_size", intermediateSize, 1 << 16);
        inRange("num_hidden_layers", numHiddenLayers, 0, 256); // 0: embeddings and the final LayerNorm (a bag of words)
        positive("num_attention_heads", numAttentionHeads, 1024);
        positive("max_position_embeddings", maxPositionEmbeddings, 1 << 16);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("field \"num_attention_heads\" = " + numAttentionHeads
                    + " must divide hidden_size " + hiddenSize);
        }
        if (!(layerNormEps > 0 && layerNormEps < 1)) {
            throw new IllegalArgumentException("field \"layer_norm_eps\" = " + layerNormEps + " must be in (0, 1)");
        }
        if (!hiddenAct.equals("quick_gelu") && !hiddenAct.equals("gelu")) {
            throw new IllegalArgumentException("field \"hidden_act\" = \"" + hiddenAct + "\" is not supported; supported: quick_gelu, gelu");
        }
    }

    private static void positive(String field, int v, int max) {
        inRange(field, v, 1, max);
    }

    private static void inRange(String field, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException("field \"" + field + "\" = " + v + " must be in [" + min + ", " + max + "]");
        }
    }

    /** This configuration with {@code layers} transformer blocks. */
    public ClipTextConfig withLayers(int layers) {
        return new ClipTextConfig(vocabSize, hiddenSize, intermediateSize, layers, numAttentionHeads, maxPositionEmbeddings, layerNormEps,
                hiddenAct, eosTokenId);
    }

    /** The width of one attention head. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }
}
