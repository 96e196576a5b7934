package org.diffusion4j.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.diffusion4j.diffusion.Scalar;
import org.diffusion4j.nn.Layers.Conv2d;
import org.diffusion4j.nn.Layers.GroupNorm;
import org.diffusion4j.nn.Layers.Linear;
import org.diffusion4j.nn.ParameterFactory.Init;

/**
 * CLIP (Radford et al. 2021) at the scale of a CPU: the {@link ClipTextModel} with a linear {@code text_projection},
 * a small convolutional image encoder with a {@code visual_projection}, and the learnable temperature
 * {@code logit_scale} (initialised at ln(1/0.07), its exponential clamped at 100). Trained with the symmetric
 * contrastive loss: the matching caption of each image (and image of each caption) among the batch.
 */
public final class ClipModel implements AutoCloseable {

    /** exp(logit_scale) is clamped here, as in the paper. */
    public static final double MAX_SCALE = 100;

    private final NDManager manager;
    private final ClipTextModel text;
    private final Map<String, NDArray> parameters = new LinkedHashMap<>();
    private final NDArray textProjection;
    private final Conv2d conv1;
    private final GroupNorm norm1;
    private final Conv2d conv2;
    private final GroupNorm norm2;
    private final Conv2d conv3;
    private final GroupNorm norm3;
    private final Linear visualProjection;
    private final NDArray logitScale;

    /**
     * A new model: the text encoder of {@code textConfig} and an image encoder of width {@code width} for
     * {@code channels}-channel images, both projected to {@code embedDim}; PyTorch's default initialisation from
     * {@code seed}.
     */
    public ClipModel(ClipTextConfig textConfig, int channels, int width, int embedDim, NDManager parent, long seed) {
        this.manager = parent.newSubManager();
        SplittableRandom rng = new SplittableRandom(seed);
        ParameterFactory p = (name, shape, init) -> {
            float[] v = init.values(Math.toIntExact(shape.size()), rng);
            NDArray a = manager.create(v, shape);
            a.setRequiresGradient(true);
            parameters.put(name, a);
            return a;
        };
        this.text = ClipTextModel.create(textConfig, manager, rng.nextLong());
        text.parameters().forEach((name, a) -> {
            a.setRequiresGradient(true);
            parameters.put(name, a);
        });
        int d = textConfig.hiddenSize();
        textProjection = p.create("text_projection.weight", new Shape(embedDim, d), Init.uniform(1 / Math.sqrt(d)));
        int groups = Math.min(8, width);
        conv1 = new Conv2d(p, "vision_model.conv1", channels, width, 3, 1, 1);
        norm1 = new GroupNorm(p, "vision_model.norm1", groups, width, 1e-5);
        conv2 = new Conv2d(p, "vision_model.conv2", width, 2 * width, 3, 2, 1);
        norm2 = new GroupNorm(p, "vision_model.norm2", groups, 2 * width, 1e-5);
        conv3 = new Conv2d(p, "vision_model.conv3", 2 * width, 4 * width, 3, 2, 1);
        norm3 = new GroupNorm(p, "vision_model.norm3", groups, 4 * width, 1e-5);
        visualProjection = new Linear(p, "visual_projection", 4 * width, embedDim);
        logitScale = manager.create(new float[] {(float) Math.log(1 / 0.07)});
        logitScale.setRequiresGradient(true);
        parameters.put("logit_scale", logitScale);
    }

    /**
     * Copies {@code weights} (every parameter by name, as {@link #parameters()} names them) into this model.
     *
     * @throws IllegalArgumentException listing the missing, unexpected and misshapen names
     */
    public void loadParameters(Map<String, NDArray> weights) {
        Map<String, ai.djl.ndarray.types.Shape> expected = new LinkedHashMap<>();
        Map<String, ai.djl.ndarray.types.Shape> actual = new LinkedHashMap<>();
        Map<String, ai.djl.ndarray.types.DataType> types = new LinkedHashMap<>();
        parameters.forEach((k, v) -> expected.put(k, v.getShape()));
        weights.forEach((k, v) -> {
            actual.put(k, v.getShape());
            types.put(k, v.getDataType());
        });
        StateDict.check(expected, actual, types, "the CLIP weights");
        parameters.forEach((k, p) -> {
            NDArray w = weights.get(k);
            NDArray f = w.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32 ? w : w.toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
            p.set(f.toFloatArray());
        });
    }

    /** The image encoder's width and the embedding width, for saving alongside the weights. */
    public int embedDim() {
        return (int) textProjection.getShape().get(0);
    }

    /**
     * The CLIP score of images against captions (Hessel et al. 2021): 100 · max(cos, 0) of each image's and its
     * caption's embeddings, one value per pair, without autograd.
     */
    public float[] clipScores(NDArray images, NDArray ids) {
        float[] c = cosines(images, ids)[0];
        for (int i = 0; i < c.length; i++) {
            c[i] = 100 * Math.max(c[i], 0);
        }
        return c;
    }

    /**
     * For each set of captions {@code ids[k]} [N, L], the cosine of each image's embedding and its caption's: one row
     * per set, without autograd. The images are encoded once.
     */
    public float[][] cosines(NDArray images, NDArray... ids) {
        return Layers.noGrad(() -> {
            NDArray embeddings = imageEmbeddings(images);
            float[][] out = new float[ids.length][];
            for (int k = 0; k < ids.length; k++) {
                out[k] = embeddings.mul(textEmbeddings(ids[k])).sum(new int[] {1}).toFloatArray();
            }
            return out;
        });
    }

    public ClipTextModel textModel() {
        return text;
    }

    /** Every trainable parameter by name (text encoder, projections, image encoder, logit_scale). */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** Unit-length text embeddings [N, embed] of token ids [N, L] (pooled at the end-of-text token, projected). */
    public NDArray textEmbeddings(NDArray ids) {
        NDArray pooled = text.forward(ids).pooled();
        return normalize(pooled.matMul(transposed(textProjection, ids)));
    }

    /** Unit-length image embeddings [N, embed] of images [N, C, H, W] in [−1, 1]. */
    public NDArray imageEmbeddings(NDArray images) {
        NDArray h = Layers.silu(norm1.forward(conv1.forward(images)));
        h = Layers.silu(norm2.forward(conv2.forward(h)));
        h = Layers.silu(norm3.forward(conv3.forward(h)));
        long[] s = h.getShape().getShape();
        return normalize(visualProjection.forward(h.reshape(s[0], s[1], s[2] * s[3]).mean(new int[] {2})));
    }

    /** {@link #imageEmbeddings} without autograd: the features of the CLIP-space FD. */
    public NDArray imageFeatures(NDArray images) {
        return Layers.noGrad(() -> imageEmbeddings(images));
    }

    /**
     * The symmetric contrastive loss of a batch of matching (image, caption) pairs: with
     * s = min(exp(logit_scale), 100) and logits = s · I Tᵀ, the mean of the cross-entropies of each row (image →
     * its caption) and each column (caption → its image).
     */
    public NDArray loss(NDArray images, NDArray ids) {
        return loss(images, ids, null);
    }

    /**
     * The contrastive loss with hard negative captions (NegCLIP, Yuksekgonul et al. 2023, §4): the K captions
     * {@code negativeIds} [K, L] join the N captions as further columns of the image → caption cross-entropy, so each
     * image must prefer its caption to the same words in another order; the caption → image cross-entropy stays over
     * the N images (a negative caption has no image). With K = 0 (or null) this is {@link #loss(NDArray, NDArray)}.
     */
    public NDArray loss(NDArray images, NDArray ids, NDArray negativeIds) {
        long n = ids.getShape().get(0);
        boolean negatives = negativeIds != null && negativeIds.getShape().get(0) > 0;
        NDArray texts = negatives ? ids.concat(negativeIds, 0) : ids;
        NDArray logits = logits(imageEmbeddings(images), textEmbeddings(texts));
        NDManager m = images.getManager();
        NDArray rows = logits.logSoftmax(1).mul(m.eye((int) n, (int) texts.getShape().get(0), 0, DataType.FLOAT32))
                .sum(new int[] {1}).mean();
        NDArray square = negatives ? logits.get(new NDIndex(":, :{}", n)) : logits;
        NDArray cols = square.logSoftmax(0).mul(m.eye((int) n)).sum(new int[] {0}).mean();
        return Scalar.times(rows.add(cols), -0.5);
    }

    /** s · I Tᵀ, with s = exp(logit_scale) clamped at {@value #MAX_SCALE}. */
    public NDArray logits(NDArray imageEmbeddings, NDArray textEmbeddings) {
        NDArray s = logitScale.exp();
        s.attach(imageEmbeddings.getManager());
        NDArray scale = s.minimum(Scalar.of(imageEmbeddings, MAX_SCALE));
        return imageEmbeddings.matMul(textEmbeddings.transpose()).mul(scale);
    }

    /** The current temperature's inverse, exp(logit_scale) (clamped). */
    public double scale() {
        return Math.min(MAX_SCALE, Math.exp(logitScale.getFloat()));
    }

    private static NDArray normalize(NDArray x) {
        return x.div(x.square().sum(new int[] {1}, true).add(Scalar.of(x, 1e-12)).sqrt());
    }

    private static NDArray transposed(NDArray w, NDArray like) {
        NDArray t = w.transpose();
        t.attach(like.getManager());
        return t;
    }

    @Override
    public void close() {
        manager.close();
    }
}
