package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import org.diffusion4j.data.Batch;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusion.LowResolution;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.SampleListener;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cascade's super-resolution stage through the same trainer: the condition is the batch's own low-resolution image,
 * augmented at levels within the configured bound; resume is exact; the folder upscales through the front door.
 */
@Tag("kernel")
class SuperResolutionTrainingTest {

    @TempDir
    Path dir;

    static TrainConfig config(int maxLevel) {
        String json = "{\"model\": {\"_class_name\": \"UNet2DModel\", \"sample_size\": 16, \"in_channels\": 6, \"out_channels\": 3,"
                + " \"block_out_channels\": [8, 16], \"layers_per_block\": 1, \"down_block_types\": [\"DownBlock2D\", \"DownBlock2D\"],"
                + " \"up_block_types\": [\"UpBlock2D\", \"UpBlock2D\"], \"norm_num_groups\": 4, \"num_class_embeds\": 1000},"
                + " \"dataset\": \"shapes\", \"batch_size\": 4, \"learning_rate\": 1e-3, \"lr_warmup_steps\": 0, \"seed\": 5,"
                + " \"sr_factor\": 2, \"sr_max_noise_level\": " + maxLevel + ", \"checkpoint_every\": 3, \"keep_last\": 2, \"log_every\": 1}";
        return TrainConfig.parse(json, "sr-test");
    }

    private static DiffusionTrainer trainer(NDManager m, Path out) throws IOException {
        TrainConfig c = config(300);
        return DiffusionTrainer.builder(c, Training.newTrainable(c, m), Training.data(c, Training.openDataset(c), m))
                .optOutput(new ModelFolder(out)).build();
    }

    @Test
    void theConditionIsTheBatchsOwnLowResolutionImageAtBoundedLevels() throws IOException {
        TrainConfig c = config(300);
        try (NDManager m = NDManager.newBaseManager()) {
            TrainableModel model = Training.newTrainable(c, m);
            assertTrue(model.isImageConditional() && !model.isClassConditional());
            try (Batch b = Training.data(c, Training.openDataset(c), m).batchAt(m, 0)) {
                NDArray cond = model.imageCondition(b.images(), 7, m);
                assertArrayEquals(new long[] {4, 4, 16, 16}, cond.getShape().getShape());
                float[] levels = cond.get(":, 3, 0, 0").toFloatArray();
                for (float l : levels) {
                    assertTrue(l >= 0 && l <= 300 && l == Math.rint(l), "level " + l);
                }
                assertArrayEquals(cond.toFloatArray(), model.imageCondition(b.images(), 7, m).toFloatArray(), "a function of the step");
            }
        }
        TrainConfig none = config(0);
        try (NDManager m = NDManager.newBaseManager()) {
            TrainableModel model = Training.newTrainable(none, m);
            try (Batch b = Training.data(none, Training.openDataset(none), m).batchAt(m, 0)) {
                NDArray cond = model.imageCondition(b.images(), 1, m).get(":, 0:3");
                NDArray clean = LowResolution.upsample(LowResolution.downsample(b.images(), 2), 2);
                double a = none.noiseSchedule().alphaCumprod(0);
                // level 0: √ᾱ_0 x + √(1−ᾱ_0) ε with ᾱ_0 = 1 − β_1, nearly the clean low-resolution image
                assertTrue(cond.sub(clean.mul((float) Math.sqrt(a))).abs().max().getFloat() < 6 * Math.sqrt(1 - a));
            }
        }
    }

    @Test
    void trainsResumesExactlyAndUpscalesThroughThePipeline() throws IOException {
        float[] straight;
        try (NDManager m = NDManager.newBaseManager()) {
            DiffusionTrainer t = trainer(m, dir.resolve("a"));
            t.train(4, null);
            straight = t.model().parameters().get("conv_out.weight").toFloatArray();
        }
        try (NDManager m = NDManager.newBaseManager()) {
            trainer(m, dir.resolve("b")).train(3, null);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            DiffusionTrainer t = trainer(m, dir.resolve("b"));
            assertTrue(t.resume());
            t.train(4, null);
            assertArrayEquals(straight, t.model().parameters().get("conv_out.weight").toFloatArray(), "resume is exact");
        }
        try (DiffusionPipeline pipe = DiffusionPipeline.load(dir.resolve("a"))) {
            assertEquals(2, pipe.superResolution().factor());
            assertEquals(300, pipe.superResolution().maxNoiseLevel());
            assertArrayEquals(new long[] {3, 16, 16}, pipe.imageShape());
            float[] low = new float[2 * 3 * 8 * 8];
            for (int i = 0; i < low.length; i++) {
                low[i] = (float) Math.sin(i);
            }
            long[] lowShape = {2, 3, 8, 8};
            SampleRequest r = SampleRequest.of(3, 1).withSampler("ddim", 3);
            SampledImages all = pipe.upscale(low, lowShape, 50, r, SampleListener.NONE);
            assertArrayEquals(new long[] {3, 3, 16, 16}, all.shape());
            // a batch of another size may round differently in the kernels, nothing more: float32 ulps relative to the largest value
            // (an untrained stage's x0 reaches ~30 unclipped; 1e-5 absolute failed by 1.2e-5 on a Sapphire Rapids CPU)
            float scale = 1;
            for (float v : all.values()) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertArrayEquals(all.values(), pipe.upscale(low, lowShape, 50, r.withBatch(1), SampleListener.NONE).values(), 1e-6f * scale);
            assertThrows(IllegalArgumentException.class, () -> pipe.upscale(low, new long[] {2, 3, 16, 16}, 50, r, SampleListener.NONE));
            assertThrows(IllegalArgumentException.class, () -> pipe.sample(r, SampleListener.NONE));
        }
    }

    @Test
    void aConfigThatCannotTakeTheConditionIsRefused() {
        String json = config(0).toJson().replace("\"in_channels\": 6", "\"in_channels\": 3");
        TrainConfig c = TrainConfig.parse(json, "t");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Training.batches(c, Training.openDataset(c)));
        assertTrue(e.getMessage().contains("in_channels to 6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(config(0).toJson().replace("\"sr_factor\": 2", "\"sr_factor\": 3"), "t"));
    }
}
