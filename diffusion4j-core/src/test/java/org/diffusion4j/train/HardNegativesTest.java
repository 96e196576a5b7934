package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.data.Batch;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusion.GaussianDiffusion;
import org.diffusion4j.diffusion.Losses;
import org.diffusion4j.diffusion.NoiseSource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The hard-negative term of text runs: its rows and loss against their definitions, the config key, and what it is for —
 * a U-Net trained with it denoises a two-object image better under its own caption than under the same words with the
 * objects swapped, by a wider margin than one trained without it.
 */
class HardNegativesTest {

    @Test
    void rowsAreTheTwoObjectCaptionsWithTheirSwappedForms() {
        List<String> captions = List.of("a red circle", "a red circle to the left of a blue square", "",
                "a small green triangle", "a cyan square above a yellow circle");
        HardNegatives.Rows rows = HardNegatives.of(captions);
        assertArrayEquals(new long[] {1, 4}, rows.rows());
        assertEquals(List.of("a blue square to the left of a red circle", "a yellow circle above a cyan square"), rows.swapped());
        assertNull(HardNegatives.of(List.of("a red circle", "")), "no two-object caption: no term");
    }

    @Test
    @Tag("kernel")
    void theLossIsTheLogisticLossOfTheTwoWayChoice() {
        double[] positive = {0.010, 0.300, 0.020, 1e-4};
        double[] negative = {0.020, 0.100, 0.020, 5.0};
        double weight = 0.7;
        double beta = 150;
        long batch = 10;
        double expected = 0;
        for (int i = 0; i < positive.length; i++) {
            double z = beta * (positive[i] - negative[i]);
            expected += Math.log1p(Math.exp(z)); // z is at most 30 here: no overflow in doubles
        }
        expected *= weight / batch;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray loss = HardNegatives.loss(m.create(toFloats(positive)), m.create(toFloats(negative)), weight, beta, batch);
            assertEquals(expected, loss.getFloat(), 1e-5 * expected);
            NDArray huge = HardNegatives.loss(m.create(new float[] {1e3f}), m.create(new float[] {0f}), 1, 1e3, 1);
            assertEquals(1e6, huge.getFloat(), 1, "softplus(z) = z for large z, without overflow");
        }
    }

    @Test
    void theKeyIsForTextRunsOnly() {
        TrainConfig c = TrainConfig.parse(TextConditionalTrainingTest.CONFIG_JSON.replace("\"random_flip\": false",
                "\"random_flip\": false, \"hard_negative_weight\": 0.5, \"hard_negative_beta\": 30"), "t");
        assertEquals(0.5, c.hardNegativeWeight());
        assertEquals(30, c.hardNegativeBeta());
        assertEquals(c.hardNegativeWeight(), TrainConfig.parse(c.toJson(), "again").hardNegativeWeight(), "the key round-trips");
        assertTrue(!TextConditionalTrainingTest.config().toJson().contains("hard_negative"), "off by default, and not written then");
        String image = "{\"model\": {\"sample_size\": 8, \"block_out_channels\": [8], \"layers_per_block\": 1, \"down_block_types\": "
                + "[\"DownBlock2D\"], \"up_block_types\": [\"UpBlock2D\"], \"norm_num_groups\": 4}, \"hard_negative_weight\": 1}";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(image, "t"));
        assertTrue(e.getMessage().contains("hard_negative_weight") && e.getMessage().contains("set text_encoder"), e.getMessage());
        String negative = TextConditionalTrainingTest.CONFIG_JSON.replace("\"random_flip\": false",
                "\"random_flip\": false, \"hard_negative_weight\": -1");
        IllegalArgumentException n = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(negative, "t"));
        assertTrue(n.getMessage().contains("hard_negative_weight") && n.getMessage().contains("[0, 100]"), n.getMessage());
    }

    /**
     * 32 training images (16 with two objects), the test's tiny U-Net and the fixture's text encoder, 30 steps each way
     * from the same start. The margin ℓ(swapped) − ℓ(own) of the denoising error, averaged over the two-object images at
     * five timesteps, is the diffusion classifier's evidence for the right word order. Measured every 10 steps with the
     * term (λ = 1, β = 100): 1.3e-3, 7.2e-3, 2.3e-2, 3.8e-2, 2.2e-2, 4.8e-2; without it 5e-5 to 1.6e-4 at every point.
     */
    @Test
    @Tag("kernel")
    void aUNetTrainedWithHardNegativesDenoisesBetterUnderItsOwnWordOrder() throws java.io.IOException {
        double plain = margin(0);
        double hard = margin(1);
        assertTrue(hard > 5e-3 && hard > 10 * Math.max(plain, 0), "margin with hard negatives " + hard + ", without " + plain);
    }

    private static double margin(double weight) throws java.io.IOException {
        String json = TextConditionalTrainingTest.CONFIG_JSON.replace("\"batch_size\": 4", "\"batch_size\": 16")
                .replace("\"p_uncond\": 0.25", "\"p_uncond\": 0, \"hard_negative_weight\": " + weight + ", \"hard_negative_beta\": 100")
                .replace("\"learning_rate\": 1e-3", "\"learning_rate\": 2e-3");
        TrainConfig c = TrainConfig.parse(json, "hard-negatives");
        ShapesDataset data = ShapesDataset.generate(16, Split.TRAIN, 0, 32);
        try (NDManager m = NDManager.newBaseManager()) {
            BatcherData batches = BatcherData.of(data, c.batchSize(), 1, false);
            DiffusionTrainer t = DiffusionTrainer.builder(c, Training.newTrainable(c, m), batches).build();
            t.train(30, null);
            TrainableModel model = t.model();
            GaussianDiffusion diffusion = new GaussianDiffusion(c.noiseSchedule());
            double sum = 0;
            int count = 0;
            for (int b = 0; b < 2; b++) {
                try (NDManager sub = m.newSubManager()) {
                    Batch batch = batches.batchAt(sub, b);
                    List<String> own = new ArrayList<>();
                    List<String> swapped = new ArrayList<>();
                    List<Integer> rows = new ArrayList<>();
                    int[] indices = batch.indices();
                    for (int i = 0; i < indices.length; i++) {
                        String s = Shapes.swappedOrder(data.caption(indices[i]));
                        if (s != null) {
                            rows.add(i);
                            own.add(data.caption(indices[i]));
                            swapped.add(s);
                        }
                    }
                    NDArray x0 = batch.images().get(HardNegatives.index(sub, rows.stream().mapToLong(Integer::longValue).toArray()));
                    for (int step : new int[] {100, 300, 500, 700, 900}) {
                        int[] ts = new int[rows.size()];
                        Arrays.fill(ts, step);
                        NDArray epsilon = NoiseSource.seeded(step).normal(sub, x0.getShape(), 0);
                        NDArray xt = diffusion.qSample(x0, ts, epsilon);
                        NDArray target = diffusion.trainingTarget(c.predictionType(), x0, epsilon, ts);
                        NDArray timesteps = sub.create(Arrays.stream(ts).asLongStream().toArray());
                        float[] a = Losses.lossSimple(model.forward(xt, timesteps, model.textContext(own, sub)), target).toFloatArray();
                        float[] n = Losses.lossSimple(model.forward(xt, timesteps, model.textContext(swapped, sub)), target).toFloatArray();
                        for (int i = 0; i < a.length; i++) {
                            sum += n[i] - a[i];
                            count++;
                        }
                    }
                }
            }
            assertEquals(16 * 5, count, "the 16 two-object images (both batches) at 5 timesteps");
            return sum / count;
        }
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
