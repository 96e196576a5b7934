package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.data.Batch;
import org.diffusion4j.data.ImageDataset;
import org.diffusion4j.diffusers.AutoencoderKLFolder;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.nn.ActivationProbe;
import org.diffusion4j.nn.AutoencoderKL;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.SampleListener;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Latent diffusion through the same trainer (Rombach et al. 2022): the U-Net learns scaling_factor · z of the frozen
 * diffusers fixture auto-encoder (16×16 RGB → 8×8×4), resumes exactly, and the folder it writes is a StableDiffusionPipeline
 * with {@code vae/} that samples latents and decodes them.
 */
@Tag("kernel")
class LatentTrainingTest {

    static final Path FIXTURE = Path.of("src/test/resources/fixtures/diffusers-t2i");

    @TempDir
    Path dir;

    static TrainConfig config() {
        String json = "{\"model\": {\"_class_name\": \"UNet2DConditionModel\", \"sample_size\": 8, \"in_channels\": 4,"
                + " \"out_channels\": 4, \"block_out_channels\": [16, 32], \"layers_per_block\": 1,"
                + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"], \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"],"
                + " \"attention_head_dim\": 2, \"cross_attention_dim\": 32, \"norm_num_groups\": 8},"
                + " \"text_encoder\": \"" + FIXTURE + "\", \"vae\": \"" + FIXTURE.resolve("vae") + "\", \"dataset\": \"shapes\","
                + " \"random_flip\": false, \"batch_size\": 4, \"learning_rate\": 1e-3, \"lr_warmup_steps\": 0, \"p_uncond\": 0.25,"
                + " \"seed\": 3, \"checkpoint_every\": 3, \"keep_last\": 2, \"log_every\": 1}";
        return TrainConfig.parse(json, "ldm-test");
    }

    private static DiffusionTrainer trainer(NDManager m, Path out) throws IOException {
        TrainConfig c = config();
        ImageDataset images = Training.openDataset(c);
        assertEquals(16, images.height(), "shapes at the auto-encoder's image size: 8 x its factor 2");
        return DiffusionTrainer.builder(c, Training.newTrainable(c, m), Training.data(c, images, m)).optOutput(new ModelFolder(out)).build();
    }

    @Test
    void theDataAreTheScaledLatentsOfTheImages() throws IOException {
        TrainConfig c = config();
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = AutoencoderKLFolder.load(FIXTURE.resolve("vae"), m)) {
            TrainingData latents = Training.data(c, Training.openDataset(c), m);
            assertEquals(4, latents.channels());
            assertEquals(8, latents.height());
            try (Batch b = latents.batchAt(m, 2)) {
                assertArrayEquals(new long[] {4, 4, 8, 8}, b.images().getShape().getShape());
                // decode(z / s) is close to the image the latents came from: the data really are this image's latents
                NDArray decoded = vae.decode(b.images().div((float) vae.config().scalingFactor()), ActivationProbe.NONE);
                assertArrayEquals(new long[] {4, 3, 16, 16}, decoded.getShape().getShape());
            }
            try (Batch again = latents.batchAt(m, 2); Batch other = latents.batchAt(m, 3)) {
                assertArrayEquals(again.images().toFloatArray(), Training.data(c, Training.openDataset(c), m).batchAt(m, 2).images()
                        .toFloatArray(), "a function of (seed, step)");
                assertTrue(!java.util.Arrays.equals(again.images().toFloatArray(), other.images().toFloatArray()));
            }
        }
    }

    @Test
    void trainsResumesExactlyAndSamplesThroughTheDecoder() throws IOException {
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
        Path folder = dir.resolve("a");
        assertEquals("AutoencoderKL", JsonParser.parseString(Files.readString(folder.resolve("model_index.json")))
                .getAsJsonObject().getAsJsonArray("vae").get(1).getAsString());
        try (DiffusionPipeline pipe = DiffusionPipeline.load(folder)) {
            assertArrayEquals(new long[] {4, 8, 8}, pipe.latentShape());
            SampledImages images = pipe.sample(SampleRequest.of(2, 0).withSampler("ddim", 3).withPrompts(List.of("a red circle")),
                    SampleListener.NONE);
            assertArrayEquals(new long[] {2, 3, 16, 16}, images.shape());
        }
    }

    @Test
    void aVaeWithoutATextEncoderIsRefusedNamingTheField() {
        String json = config().toJson().replaceAll("\"text_encoder\": \"[^\"]*\",", "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(json, "t"));
        assertTrue(e.getMessage().contains("\"vae\""), e.getMessage());
    }
}
