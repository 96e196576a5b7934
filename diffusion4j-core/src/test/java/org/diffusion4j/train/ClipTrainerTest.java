package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.nn.ClipBpeLearner;
import org.diffusion4j.nn.ClipModel;
import org.diffusion4j.nn.ClipTextConfig;
import org.diffusion4j.nn.ClipTokenizer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Contrastive training on the shapes captions, at a size that runs in seconds: the loss falls from ln(batch) and
 * text → image retrieval on held-aside test images beats chance by far; two runs of the same seed agree exactly.
 */
@Tag("kernel")
class ClipTrainerTest {

    static final int STEPS = 120;

    @Test
    void contrastiveTrainingLearnsToMatchCaptionsAndImages() {
        ShapesDataset train = ShapesDataset.generate(16, Split.TRAIN, 0, 2000);
        ShapesDataset test = ShapesDataset.generate(16, Split.TEST, 0, 32);
        ClipTokenizer tok = tokenizer(train);
        ClipTextConfig config = config(tok);
        double[] first = run(train, test, tok, config);
        double[] second = run(train, test, tok, config);
        System.out.printf("CLIP on shapes-16: loss %.3f -> %.3f after %d steps, text->image R@1 %.3f on 32 test images (chance 0.031)%n",
                first[0], first[1], STEPS, first[2]);
        assertTrue(first[1] < 0.85 * first[0], "loss " + first[0] + " -> " + first[1]);
        assertTrue(first[2] >= 3.0 / 32, "R@1 " + first[2] + ": at least 3x chance");
        assertEquals(first[1], second[1], 0.0, "same seed, same run");
    }

    /**
     * On a small set the model memorises, an image prefers its own caption to an unseen caption anyway; the hard
     * negatives are what push its caption's words in another order away: the margin
     * cos(image, caption) − cos(image, objects swapped) grows far more with them than without (here about twice as much).
     */
    @Test
    void hardNegativesPushTheSameWordsInAnotherOrderAway() {
        ShapesDataset train = ShapesDataset.generate(16, Split.TRAIN, 0, 48);
        ClipTokenizer tok = tokenizer(train);
        ClipTextConfig config = config(tok);
        double[] plain = marginsAfter(train, tok, config, false);
        double[] hard = marginsAfter(train, tok, config, true);
        System.out.printf("margin to the objects swapped / colours swapped after %d steps: plain %.3f / %.3f, hard negatives %.3f / %.3f%n",
                HARD_STEPS, plain[0], plain[1], hard[0], hard[1]);
        assertTrue(hard[0] > 1.5 * plain[0] && hard[1] > 1.5 * plain[1], "plain " + plain[0] + " / " + plain[1] + ", hard " + hard[0] + " / " + hard[1]);
    }

    static final int HARD_STEPS = 150;

    /** Mean margins {objects swapped, colours swapped} over the training set's two-object images after HARD_STEPS steps. */
    private static double[] marginsAfter(ShapesDataset train, ClipTokenizer tok, ClipTextConfig config, boolean hardNegatives) {
        try (NDManager m = NDManager.newBaseManager(); ClipModel model = new ClipModel(config, 3, 16, 32, m, 7)) {
            ClipTrainer trainer = new ClipTrainer(model, tok, train, new ClipTrainer.Options(48, 1e-3, 0.0, 1, hardNegatives), m);
            for (int s = 0; s < HARD_STEPS; s++) {
                trainer.trainStep();
            }
            List<Integer> two = new ArrayList<>();
            List<String> own = new ArrayList<>();
            List<String> order = new ArrayList<>();
            List<String> colours = new ArrayList<>();
            for (int i = 0; i < train.size(); i++) {
                if (Shapes.swappedOrder(train.caption(i)) != null) {
                    two.add(i);
                    own.add(train.caption(i));
                    order.add(Shapes.swappedOrder(train.caption(i)));
                    colours.add(Shapes.swappedColours(train.caption(i)));
                }
            }
            int[] rows = two.stream().mapToInt(Integer::intValue).toArray();
            NDArray images = ClipTrainer.images(m, rows, train);
            float[][] cos = model.cosines(images, ids(m, tok, own), ids(m, tok, order), ids(m, tok, colours));
            float[] c = cos[0];
            float[] o = cos[1];
            float[] k = cos[2];
            double[] margins = new double[2];
            for (int i = 0; i < rows.length; i++) {
                margins[0] += (c[i] - o[i]) / rows.length;
                margins[1] += (c[i] - k[i]) / rows.length;
            }
            return margins;
        }
    }

    private static NDArray ids(NDManager m, ClipTokenizer tok, List<String> captions) {
        return m.create(tok.encodeBatch(captions), new Shape(captions.size(), tok.maxLength()));
    }

    /** A BPE tokenizer of context 16 learnt from {@code train}'s captions. */
    private static ClipTokenizer tokenizer(ShapesDataset train) {
        List<String> captions = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            captions.add(train.caption(i));
        }
        ClipBpeLearner.Vocabulary v = ClipBpeLearner.learn(captions, 600);
        return new ClipTokenizer(v.vocab(), v.merges(), 16, ClipTokenizer.END);
    }

    /** A text encoder of 2 blocks, width 32, for {@code tok}. */
    private static ClipTextConfig config(ClipTokenizer tok) {
        return new ClipTextConfig(tok.vocabSize(), 32, 64, 2, 4, 16, 1e-5, "quick_gelu", tok.endId());
    }

    /** {initial mean loss over 10 steps, final mean loss over 10 steps, R@1}. */
    private static double[] run(ShapesDataset train, ShapesDataset test, ClipTokenizer tok, ClipTextConfig config) {
        try (NDManager m = NDManager.newBaseManager(); ClipModel model = new ClipModel(config, 3, 16, 32, m, 7)) {
            ClipTrainer trainer = new ClipTrainer(model, tok, train, new ClipTrainer.Options(32, 1e-3, 0.0, 1), m);
            double start = 0;
            double end = 0;
            for (int s = 0; s < STEPS; s++) {
                double loss = trainer.trainStep();
                if (Boolean.getBoolean("clip.trace") && (s % 10 == 0 || s >= 105)) {
                    System.out.printf("step %d loss %.4f scale %.2f%n", s, loss, model.scale());
                }
                if (s < 10) {
                    start += loss / 10;
                }
                if (s >= STEPS - 10) {
                    end += loss / 10;
                }
            }
            return new double[] {start, end, ClipTrainer.retrievalAtOne(model, tok, test, 32, m)};
        }
    }
}
