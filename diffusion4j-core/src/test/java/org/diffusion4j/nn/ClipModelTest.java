package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The contrastive loss against its definition, computed here in doubles from the model's own logits. */
@Tag("kernel")
class ClipModelTest {

    @Test
    void hardNegativesJoinTheImageToCaptionCrossEntropyOnly() {
        ClipBpeLearner.Vocabulary v = ClipBpeLearner.learn(List.of("a red circle above a blue square", "a small green triangle"), 600);
        ClipTokenizer tok = new ClipTokenizer(v.vocab(), v.merges(), 12, ClipTokenizer.END);
        ClipTextConfig config = new ClipTextConfig(v.vocab().size(), 20, 40, 1, 4, 12, 1e-5, "quick_gelu", tok.endId());
        List<String> captions = List.of("a red circle above a blue square", "a small green triangle", "a blue square above a red circle");
        List<String> negatives = List.of("a blue circle above a red square", "a large green triangle");
        try (NDManager m = NDManager.newBaseManager(); ClipModel model = new ClipModel(config, 3, 5, 12, m, 11)) {
            NDArray images = m.randomUniform(-1, 1, new Shape(3, 3, 9, 9));
            NDArray ids = m.create(tok.encodeBatch(captions), new Shape(3, 12));
            NDArray neg = m.create(tok.encodeBatch(negatives), new Shape(2, 12));
            double plain = model.loss(images, ids).getFloat();
            assertEquals(plain, model.loss(images, ids, null).getFloat(), 0.0);
            assertEquals(plain, expected(model, images, ids, 3), 1e-5, "no negatives: the symmetric loss");
            double hard = model.loss(images, ids, neg).getFloat();
            assertEquals(expected(model, images, ids.concat(neg, 0), 3), hard, 1e-5);
            assertTrue(hard > plain, "more columns in each image's softmax raise its cross-entropy: " + hard + " vs " + plain);
        }
    }

    /** (CE over each image's row of all captions + CE over each caption's column of the n images) / 2, in doubles. */
    private static double expected(ClipModel model, NDArray images, NDArray allIds, int n) {
        float[] f = Layers.noGrad(() -> model.logits(model.imageEmbeddings(images), model.textEmbeddings(allIds)).toFloatArray());
        int cols = f.length / n;
        double rows = 0;
        double columns = 0;
        for (int i = 0; i < n; i++) {
            double z = 0;
            for (int j = 0; j < cols; j++) {
                z += Math.exp(f[i * cols + j]);
            }
            rows += -(f[i * cols + i] - Math.log(z)) / n;
            double zc = 0;
            for (int k = 0; k < n; k++) {
                zc += Math.exp(f[k * cols + i]);
            }
            columns += -(f[i * cols + i] - Math.log(zc)) / n;
        }
        return (rows + columns) / 2;
    }
}
