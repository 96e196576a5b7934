package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.nn.Layers.Embedding;
import org.diffusion4j.nn.Layers.Linear;
import org.diffusion4j.nn.ParameterFactory.Init;

/**
 * CLIP's text encoder (Radford et al. 2021), as transformers' {@code CLIPTextModel} computes it and with its
 * state-dict names ({@code text_model.…}): token embedding + learned position embedding; per block
 * x += attn(LN₁(x)) with a causal mask, x += MLP(LN₂(x)) with quick_gelu; a final LayerNorm. The pooled
 * output is the final hidden state at the end-of-text token.
 *
 * <pre>
 *   h⁰ = E_tok[ids] + E_pos[0..L)
 *   hˡ = hˡ⁻¹ + Attn(LN₁(hˡ⁻¹)),  hˡ = hˡ + fc₂(act(fc₁(LN₂(hˡ))))
 *   last_hidden_state = LN_f(h^layers);  pooled = last_hidden_state[eot]
 * </pre>
 *
 * Like {@link UNet2DModel}, the model is plain classes over a name → NDArray map (the map is the state
 * dict). Inference through {@link #forward} records no autograd history unless a GradientCollector is open.
 */
public final class ClipTextModel implements AutoCloseable {

    /** The prefix of every parameter name in transformers' state dict. */
    public static final String PREFIX = "text_model.";

    private final ClipTextConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private final Embedding tokenEmbedding;
    private final Embedding positionEmbedding;
    private final List<Block> blocks = new ArrayList<>();
    private final LayerNorm finalLayerNorm;

    /** The result of a forward pass. */
    public record Output(NDArray lastHiddenState, NDArray pooled, List<NDArray> hiddenStates) {}

    private ClipTextModel(ClipTextConfig c, NDManager manager, ParameterFactory factory) {
        this.config = c;
        this.manager = manager;
        ParameterFactory p = (name, shape, init) -> {
            NDArray a = factory.create(PREFIX + name, shape, init);
            if (a != null) {
                parameters.put(PREFIX + name, a);
            }
            return a;
        };
        int d = c.hiddenSize();
        tokenEmbedding = new Embedding(p, "embeddings.token_embedding", c.vocabSize(), d);
        positionEmbedding = new Embedding(p, "embeddings.position_embedding", c.maxPositionEmbeddings(), d);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            blocks.add(new Block(p, "encoder.layers." + i, c));
        }
        finalLayerNorm = new LayerNorm(p, "final_layer_norm", d, c.layerNormEps());
    }

    /** The parameter names and shapes of a configuration, in state-dict order, without allocating anything. */
    public static Map<String, Shape> parameterShapes(ClipTextConfig config) {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        new ClipTextModel(config, null, (name, shape, init) -> {
            shapes.put(name, shape);
            return null;
        });
        return shapes;
    }

    /** A new model with PyTorch's default initialisation, from a generator seeded with {@code seed}. */
    public static ClipTextModel create(ClipTextConfig config, NDManager manager, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        NDManager own = manager.newSubManager();
        return new ClipTextModel(config, own, (name, shape, init) -> own.create(init.values(Math.toIntExact(shape.size()), rng), shape));
    }

    /**
     * A model whose parameters are made by {@code fetch(name, ownManager)} for each name of
     * {@link #parameterShapes} (the caller has checked names and shapes), converted to float32.
     */
    public static ClipTextModel build(ClipTextConfig config, NDManager manager, BiFunction<String, NDManager, NDArray> fetch) {
        return ParameterFactory.loaded(manager, fetch, (own, p) -> new ClipTextModel(config, own, p));
    }

    public ClipTextConfig config() {
        return config;
    }

    /** The parameters by state-dict name (the live arrays). */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * The {@code last_hidden_state} [N, L, D] of {@code prompts} as StableDiffusionPipeline makes the U-Net's context:
     * each prompt tokenized to the context length (padded, truncated), encoded with the causal mask only, without
     * autograd; flattened row-major, computed in a sub-manager of {@code manager}.
     */
    public float[] encode(ClipTokenizer tokenizer, List<String> prompts, NDManager manager) {
        try (NDManager sub = manager.newSubManager()) {
            NDArray input = sub.create(tokenizer.encodeBatch(prompts), new Shape(prompts.size(), tokenizer.maxLength()));
            return Layers.noGrad(() -> forward(input).lastHiddenState().toFloatArray());
        }
    }

    /** The encoding of {@code inputIds} (int64 [N, L], L ≤ max_position_embeddings) with the causal mask only, as pipelines call it. */
    public Output forward(NDArray inputIds) {
        return forward(inputIds, null);
    }

    /**
     * The encoding of {@code inputIds} (int64 [N, L]); with {@code attentionMask} (int64 [N, L], 1 = token,
     * 0 = padding) padding keys are masked too. Every array returned lives in the ids' manager.
     */
    public Output forward(NDArray inputIds, NDArray attentionMask) {
        long[] s = inputIds.getShape().getShape();
        if (s.length != 2 || s[1] > config.maxPositionEmbeddings()) {
            throw new IllegalArgumentException("input_ids must be [N, L] with L <= " + config.maxPositionEmbeddings()
                    + ", got " + inputIds.getShape());
        }
        int n = (int) s[0];
        int len = (int) s[1];
        NDManager m = inputIds.getManager();
        NDArray ids = inputIds.toType(DataType.INT64, false);
        NDArray positions = m.arange(0, len, 1, DataType.INT64);
        NDArray h = tokenEmbedding.forward(ids).add(positionEmbedding.forward(positions).expandDims(0));
        NDArray mask = additiveMask(m, n, len, attentionMask);
        List<NDArray> hidden = new ArrayList<>();
        hidden.add(h);
        for (Block b : blocks) {
            h = b.forward(h, mask, config);
            hidden.add(h);
        }
        NDArray last = finalLayerNorm.forward(h);
        return new Output(last, pool(last, ids.toLongArray(), n, len), hidden);
    }

    /** [N, 1, L, L]: 0 where a query may attend, the float32 minimum above the diagonal and on padded keys. */
    private static NDArray additiveMask(NDManager m, int n, int len, NDArray attentionMask) {
        float[] v = new float[n * len * len];
        long[] keep = attentionMask == null ? null : attentionMask.toType(DataType.INT64, false).toLongArray();
        for (int b = 0; b < n; b++) {
            for (int i = 0; i < len; i++) {
                for (int j = 0; j < len; j++) {
                    boolean masked = j > i || (keep != null && keep[b * len + j] == 0);
                    v[(b * len + i) * len + j] = masked ? -Float.MAX_VALUE : 0f;
                }
            }
        }
        return m.create(v, new Shape(n, 1, len, len));
    }

    /** The hidden state at the end-of-text token of each row: argmax(ids) for the legacy eos id 2, else the first eos. */
    private NDArray pool(NDArray last, long[] ids, int n, int len) {
        NDList rows = new NDList(n);
        for (int b = 0; b < n; b++) {
            int at = 0;
            if (config.eosTokenId() == 2) {
                for (int j = 1; j < len; j++) {
                    if (ids[b * len + j] > ids[b * len + at]) {
                        at = j;
                    }
                }
            } else {
                at = len - 1;
                for (int j = 0; j < len; j++) {
                    if (ids[b * len + j] == config.eosTokenId()) {
                        at = j;
                        break;
                    }
                }
            }
            rows.add(last.get(new NDIndex("{}, {}", b, at)).expandDims(0));
        }
        return NDArrays.concat(rows, 0);
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }

    /** torch.nn.LayerNorm(dim, eps) with affine weight and bias. */
    static final class LayerNorm {
        final NDArray weight;
        final NDArray bias;
        private final int dim;
        private final double eps;

        LayerNorm(ParameterFactory p, String name, int dim, double eps) {
            weight = p.create(name + ".weight", new Shape(dim), Init.ONES);
            bias = p.create(name + ".bias", new Shape(dim), Init.ZEROS);
            this.dim = dim;
            this.eps = eps;
        }

        NDArray forward(NDArray x) {
            return JniUtils.layerNorm((PtNDArray) x, new Shape(dim), (PtNDArray) weight, (PtNDArray) bias, eps);
        }
    }

    /** One pre-LayerNorm block: causal multi-head self-attention and the MLP, each with its residual. */
    private static final class Block {
        final LayerNorm layerNorm1;
        final Linear q;
        final Linear k;
        final Linear v;
        final Linear out;
        final LayerNorm layerNorm2;
        final Linear fc1;
        final Linear fc2;

        Block(ParameterFactory p, String name, ClipTextConfig c) {
            int d = c.hiddenSize();
            q = new Linear(p, name + ".self_attn.q_proj", d, d);
            k = new Linear(p, name + ".self_attn.k_proj", d, d);
            v = new Linear(p, name + ".self_attn.v_proj", d, d);
            out = new Linear(p, name + ".self_attn.out_proj", d, d);
            layerNorm1 = new LayerNorm(p, name + ".layer_norm1", d, c.layerNormEps());
            fc1 = new Linear(p, name + ".mlp.fc1", d, c.intermediateSize());
            fc2 = new Linear(p, name + ".mlp.fc2", c.intermediateSize(), d);
            layerNorm2 = new LayerNorm(p, name + ".layer_norm2", d, c.layerNormEps());
        }

        NDArray forward(NDArray x, NDArray mask, ClipTextConfig c) {
            NDArray h = x.add(attention(layerNorm1.forward(x), mask, c));
            NDArray m = fc1.forward(layerNorm2.forward(h));
            // quick_gelu: x·σ(1.702x), CLIP's approximation of GELU
            NDArray act = c.hiddenAct().equals("quick_gelu") ? m.mul(Activation.sigmoid(Scalar.times(m, 1.702))) : Activation.gelu(m);
            return h.add(fc2.forward(act));
        }

        /** softmax(Q Kᵀ / √d + mask) V over the heads (Vaswani et al. 2017, Eq. 1), then the output projection. */
        private NDArray attention(NDArray x, NDArray mask, ClipTextConfig c) {
            long n = x.getShape().get(0);
            long len = x.getShape().get(1);
            int heads = c.numAttentionHeads();
            int headDim = c.headDim();
            NDArray qh = Scalar.times(q.forward(x), 1 / Math.sqrt(headDim)).reshape(n, len, heads, headDim).transpose(0, 2, 1, 3);
            NDArray kh = k.forward(x).reshape(n, len, heads, headDim).transpose(0, 2, 3, 1);
            NDArray vh = v.forward(x).reshape(n, len, heads, headDim).transpose(0, 2, 1, 3);
            NDArray weights = qh.matMul(kh).add(mask).softmax(-1);
            NDArray attended = weights.matMul(vh).transpose(0, 2, 1, 3).reshape(n, len, (long) heads * headDim);
            return out.forward(attended);
        }
    }
}
