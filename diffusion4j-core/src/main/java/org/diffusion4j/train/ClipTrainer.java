package org.diffusion4j.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.diffusion4j.data.CaptionedImages;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.nn.ClipModel;
import org.diffusion4j.nn.ClipTokenizer;

/**
 * Contrastive training of a {@link ClipModel} on captioned images (Radford et al. 2021, Fig. 3): each step draws a
 * batch of (image, caption) pairs, and AdamW follows the symmetric cross-entropy of the image–caption similarity
 * matrix. Batches are a function of (seed, step). Every step runs in its own NDManager.
 */
public final class ClipTrainer {

    /**
     * The training settings; with {@code hardNegatives}, each two-object caption of a batch also brings its
     * {@linkplain Shapes#swappedOrder swapped-order} and {@linkplain Shapes#swappedColours swapped-colour} forms as
     * negatives (NegCLIP, Yuksekgonul et al. 2023), so the text encoder must encode word order.
     */
    public record Options(int batchSize, double learningRate, double weightDecay, long seed, boolean hardNegatives) {
        public Options(int batchSize, double learningRate, double weightDecay, long seed) {
            this(batchSize, learningRate, weightDecay, seed, false);
        }

        public Options {
            if (batchSize < 2) {
                throw new IllegalArgumentException("a contrastive batch needs at least 2 pairs, got " + batchSize);
            }
            if (!(learningRate > 0)) {
                throw new IllegalArgumentException("learning rate must be positive, got " + learningRate);
            }
        }
    }

    private final ClipModel model;
    private final ClipTokenizer tokenizer;
    private final CaptionedImages data;
    private final Options options;
    private final NDManager manager;
    private final AdamW optimizer;
    private long step;

    public ClipTrainer(ClipModel model, ClipTokenizer tokenizer, CaptionedImages data, Options options, NDManager manager) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.data = data;
        this.options = options;
        this.manager = manager;
        this.optimizer = new AdamW(model.parameters(), manager, 0.9, 0.98, 1e-6, options.weightDecay());
    }

    /** One step; returns its loss. */
    public double trainStep() {
        SplittableRandom r = new SplittableRandom(options.seed() * 0x9E3779B97F4A7C15L + step * 0xC2B2AE3D27D4EB4FL);
        int[] rows = new int[options.batchSize()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = r.nextInt(data.size());
        }
        double lossValue;
        try (NDManager sub = manager.newSubManager()) {
            NDArray images = images(sub, rows);
            NDArray ids = ids(sub, rows);
            NDArray negatives = options.hardNegatives() ? hardNegatives(sub, rows) : null;
            NDArray loss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                loss = model.loss(images, ids, negatives);
                collector.backward(loss);
            }
            lossValue = loss.getFloat();
            Map<String, NDArray> gradients = new LinkedHashMap<>();
            for (Map.Entry<String, NDArray> e : model.parameters().entrySet()) {
                NDArray g = e.getValue().getGradient();
                g.attach(sub);
                gradients.put(e.getKey(), g);
            }
            double norm = GradientClipping.globalNorm(gradients.values(), sub);
            GradientClipping.clip(gradients.values(), norm, 1.0);
            optimizer.update(model.parameters(), gradients, options.learningRate(), sub);
            for (NDArray p : model.parameters().values()) {
                ai.djl.pytorch.jni.JniUtils.zeroGrad((ai.djl.pytorch.engine.PtNDArray) p);
            }
        }
        step++;
        return lossValue;
    }

    /**
     * Text → image retrieval R@1 on the first {@code n} images of {@code test}: for each caption, whether its own image
     * has the highest similarity among the n.
     */
    public static double retrievalAtOne(ClipModel model, ClipTokenizer tokenizer, CaptionedImages test, int n, NDManager manager) {
        int[] rows = java.util.stream.IntStream.range(0, n).toArray();
        try (NDManager sub = manager.newSubManager()) {
            boolean grad = ai.djl.pytorch.jni.JniUtils.isGradMode();
            ai.djl.pytorch.jni.JniUtils.setGradMode(false);
            try {
                NDArray sim = model.textEmbeddings(ids(sub, rows, tokenizer, test)).matMul(
                        model.imageEmbeddings(images(sub, rows, test)).transpose());
                long[] best = sim.argMax(1).toLongArray();
                int hits = 0;
                for (int i = 0; i < n; i++) {
                    hits += best[i] == i ? 1 : 0;
                }
                return (double) hits / n;
            } finally {
                ai.djl.pytorch.jni.JniUtils.setGradMode(grad);
            }
        }
    }

    /**
     * How often an image prefers its own caption to the same words in another order, on the first {@code n}
     * two-object images of {@code test} (ARO, Yuksekgonul et al. 2023): {@code order} against the objects swapped
     * around the relation, {@code colours} against the colours swapped between the shapes. A bag of words scores 0.5.
     */
    public record WordOrder(double order, double colours, int images) {}

    /** {@link WordOrder} of {@code model} on up to {@code n} two-object images of {@code test}. */
    public static WordOrder wordOrder(ClipModel model, ClipTokenizer tokenizer, CaptionedImages test, int n, NDManager manager) {
        List<Integer> two = new ArrayList<>();
        for (int i = 0; i < test.size() && two.size() < n; i++) {
            if (Shapes.swappedOrder(test.caption(i)) != null) {
                two.add(i);
            }
        }
        if (two.isEmpty()) {
            return new WordOrder(Double.NaN, Double.NaN, 0);
        }
        int[] rows = two.stream().mapToInt(Integer::intValue).toArray();
        List<String> order = new ArrayList<>();
        List<String> colours = new ArrayList<>();
        for (int r : rows) {
            order.add(Shapes.swappedOrder(test.caption(r)));
            colours.add(Shapes.swappedColours(test.caption(r)));
        }
        try (NDManager sub = manager.newSubManager()) {
            float[][] cos = model.cosines(images(sub, rows, test), ids(sub, rows, tokenizer, test), encode(sub, tokenizer, order),
                    encode(sub, tokenizer, colours));
            int orderWins = 0;
            int colourWins = 0;
            for (int i = 0; i < rows.length; i++) {
                orderWins += cos[0][i] > cos[1][i] ? 1 : 0;
                colourWins += cos[0][i] > cos[2][i] ? 1 : 0;
            }
            return new WordOrder((double) orderWins / rows.length, (double) colourWins / rows.length, rows.length);
        }
    }

    public long step() {
        return step;
    }

    /**
     * The distinct swapped-order and swapped-colour forms of the batch's two-object captions (null: none). A negative
     * can equal the caption of another pair in the batch (that pair's image is the mirror); as with two equal captions
     * in any contrastive batch, it is kept: its logit equals the positive's, so it only floors that row's loss at ln 2.
     */
    private NDArray hardNegatives(NDManager m, int[] rows) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        for (int r : rows) {
            String c = data.caption(r);
            String order = Shapes.swappedOrder(c);
            if (order != null) {
                out.add(order);
                out.add(Shapes.swappedColours(c));
            }
        }
        return out.isEmpty() ? null : encode(m, tokenizer, new ArrayList<>(out));
    }

    private NDArray images(NDManager m, int[] rows) {
        return images(m, rows, data);
    }

    private NDArray ids(NDManager m, int[] rows) {
        return ids(m, rows, tokenizer, data);
    }

    static NDArray images(NDManager m, int[] rows, CaptionedImages d) {
        return VaeTrainer.images(m, d, rows);
    }

    static NDArray ids(NDManager m, int[] rows, ClipTokenizer tokenizer, CaptionedImages d) {
        List<String> captions = new ArrayList<>(rows.length);
        for (int r : rows) {
            captions.add(d.caption(r));
        }
        return encode(m, tokenizer, captions);
    }

    private static NDArray encode(NDManager m, ClipTokenizer tokenizer, List<String> captions) {
        return m.create(tokenizer.encodeBatch(captions), new Shape(captions.size(), tokenizer.maxLength()));
    }
}
