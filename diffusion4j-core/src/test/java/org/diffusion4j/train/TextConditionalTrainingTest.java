package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.SampleListener;
import org.diffusion4j.pipeline.SampleRequest;
import org.diffusion4j.pipeline.SampledImages;
import org.diffusion4j.pipeline.ShapesEvaluation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The text-conditional U-Net trained by the same DiffusionTrainer, with a frozen CLIP text encoder (the fixture's):
 * captions dropped to "" with p_uncond, an exact resume, and a StableDiffusionPipeline folder that the front door
 * samples with a prompt.
 */
@Tag("kernel")
class TextConditionalTrainingTest {

    static final Path ENCODER = Path.of("src/test/resources/fixtures/diffusers-t2i");

    @TempDir
    Path dir;

    static TrainConfig config() {
        return TrainConfig.parse(CONFIG_JSON, "t2i-test");
    }

    static final String CONFIG_JSON = "{\"model\": {\"_class_name\": \"UNet2DConditionModel\", \"sample_size\": 16, \"in_channels\": 3,"
            + " \"out_channels\": 3, \"block_out_channels\": [16, 32], \"layers_per_block\": 1,"
            + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"], \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"],"
            + " \"attention_head_dim\": 2, \"cross_attention_dim\": 32, \"norm_num_groups\": 8},"
            + " \"text_encoder\": \"" + ENCODER + "\", \"dataset\": \"shapes\", \"random_flip\": false, \"batch_size\": 4,"
            + " \"learning_rate\": 1e-3, \"lr_warmup_steps\": 0, \"p_uncond\": 0.25, \"seed\": 3, \"checkpoint_every\": 3,"
            + " \"keep_last\": 2, \"log_every\": 1}";

    private DiffusionTrainer trainer(NDManager m, Path out) {
        return trainer(m, out, config());
    }

    private DiffusionTrainer trainer(NDManager m, Path out, TrainConfig c) {
        ShapesDataset data = ShapesDataset.generate(16, Split.TRAIN, 0, 64);
        return DiffusionTrainer.builder(c, Training.newTrainable(c, m), BatcherData.of(data, c.batchSize(), 1, false))
                .optOutput(new ModelFolder(out)).build();
    }

    @Test
    void trainsResumesExactlyAndSamplesFromTheFolderItWrites() throws IOException {
        float[] straight;
        try (NDManager m = NDManager.newBaseManager()) {
            DiffusionTrainer t = trainer(m, dir.resolve("a"));
            t.train(6, null);
            straight = t.model().parameters().get("conv_out.weight").toFloatArray();
            List<String> captions = t.conditioningCaptions(5, new int[] {0, 1, 2, 3, 4, 5, 6, 7});
            assertTrue(captions.contains("") && captions.stream().anyMatch(c -> c.startsWith("a ")), captions.toString());
        }
        try (NDManager m = NDManager.newBaseManager()) {
            trainer(m, dir.resolve("b")).train(3, null);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            DiffusionTrainer t = trainer(m, dir.resolve("b"));
            assertTrue(t.resume());
            t.train(6, null);
            assertArrayEquals(straight, t.model().parameters().get("conv_out.weight").toFloatArray(), "resume is exact");
        }
        Path folder = dir.resolve("a");
        assertEquals("StableDiffusionPipeline", JsonParser.parseString(Files.readString(folder.resolve("model_index.json")))
                .getAsJsonObject().get("_class_name").getAsString());
        assertTrue(Files.isRegularFile(folder.resolve("tokenizer/vocab.json")) && Files.isRegularFile(folder.resolve("text_encoder/config.json")));
        try (DiffusionPipeline pipe = DiffusionPipeline.load(folder)) {
            assertTrue(pipe.isText());
            SampledImages images = pipe.sample(SampleRequest.of(2, 0).withSampler("ddim", 3).withPrompts(List.of("a red circle")),
                    SampleListener.NONE);
            assertArrayEquals(new long[] {2, 3, 16, 16}, images.shape());
            // the yardstick runs on it: 42 one-object prompts and 2 two-object ones, one image each
            ShapesEvaluation.Scores scores = ShapesEvaluation.ofModel(pipe, SampleRequest.of(1, 0).withSampler("ddim", 2).withBatch(64),
                    1, 2, SampleListener.NONE);
            assertEquals(44, scores.images());
            assertTrue(scores.oneObject() >= 0 && scores.oneObject() <= 1 && scores.heldOut() >= 0, scores.toString());
        }
    }

    static TrainConfig withEncoderTraining(String mode) {
        return TrainConfig.parse(config().toJson().replace("\"random_flip\": false", "\"random_flip\": false, \"text_encoder_training\": \""
                + mode + "\""), "t2i-" + mode);
    }

    /**
     * The ablation's arms: the encoder's architecture from random weights trained with the U-Net (joint), and a bag of words
     * (no layers, zero fixed positions). Both train by the diffusion loss — the encoder's weights move — resume exactly
     * (they are in the checkpoint) and are saved as the folder's text_encoder/, which the front door reads.
     */
    @Test
    void aJointOrBagOfWordsEncoderTrainsWithTheUNetAndIsSavedWithIt() throws IOException {
        for (String mode : List.of("joint", "bag_of_words")) {
            TrainConfig c = withEncoderTraining(mode);
            assertTrue(c.toJson().contains("\"text_encoder_training\": \"" + mode + "\""), "the mode is part of the run's config");
            String token = "text_model.embeddings.token_embedding.weight";
            float[] straight;
            float[] initial;
            try (NDManager m = NDManager.newBaseManager()) {
                DiffusionTrainer t = trainer(m, dir.resolve(mode + "-a"), c);
                initial = t.model().parameters().get(token).toFloatArray();
                t.train(6, null);
                straight = t.model().parameters().get(token).toFloatArray();
            }
            assertFalse(java.util.Arrays.equals(initial, straight), mode + ": the encoder trains");
            try (NDManager m = NDManager.newBaseManager()) {
                trainer(m, dir.resolve(mode + "-b"), c).train(3, null);
            }
            try (NDManager m = NDManager.newBaseManager()) {
                DiffusionTrainer t = trainer(m, dir.resolve(mode + "-b"), c);
                assertTrue(t.resume());
                t.train(6, null);
                assertArrayEquals(straight, t.model().parameters().get(token).toFloatArray(), mode + ": resume is exact");
            }
            Path folder = dir.resolve(mode + "-a");
            String saved = Files.readString(folder.resolve("text_encoder/config.json"));
            assertTrue(saved.contains("\"num_hidden_layers\": " + (mode.equals("joint") ? 2 : 0)), saved);
            try (NDManager m = NDManager.newBaseManager();
                    org.diffusion4j.nn.ClipTextModel encoder = org.diffusion4j.diffusers.ClipTextFolder.load(folder.resolve("text_encoder"), m);
                    org.diffusion4j.nn.ClipTextModel fixture = org.diffusion4j.diffusers.ClipTextFolder.load(ENCODER.resolve("text_encoder"), m)) {
                assertFalse(java.util.Arrays.equals(fixture.parameters().get(token).toFloatArray(),
                        encoder.parameters().get(token).toFloatArray()), "not the given encoder's weights");
                float[] positions = encoder.parameters().get("text_model.embeddings.position_embedding.weight").toFloatArray();
                if (mode.equals("bag_of_words")) {
                    for (float p : positions) {
                        assertEquals(0f, p, "a bag of words has no positions");
                    }
                }
            }
            try (DiffusionPipeline pipe = DiffusionPipeline.load(folder)) {
                SampledImages images = pipe.sample(SampleRequest.of(2, 0).withSampler("ddim", 2).withPrompts(List.of("a red circle")),
                        SampleListener.NONE);
                assertArrayEquals(new long[] {2, 3, 16, 16}, images.shape());
            }
        }
    }

    @Test
    void anEncoderTrainingModeWithoutTextIsRefused() {
        String json = "{\"model\": {\"sample_size\": 8, \"block_out_channels\": [8], \"layers_per_block\": 1, \"down_block_types\": "
                + "[\"DownBlock2D\"], \"up_block_types\": [\"UpBlock2D\"], \"norm_num_groups\": 4}, \"text_encoder_training\": \"joint\"}";
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(json, "t"));
        assertTrue(e.getMessage().contains("text_encoder_training") && e.getMessage().contains("set text_encoder"), e.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> withEncoderTraining("thawed"));
        assertTrue(bad.getMessage().contains("frozen, joint or bag_of_words"), bad.getMessage());
    }

    @Test
    void aFlippedTextRunOrAMismatchedEncoderIsRefused() {
        String json = config().toJson().replace("\"random_flip\": false", "\"random_flip\": true");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TrainConfig.parse(json, "t"));
        assertTrue(e.getMessage().contains("random_flip") && e.getMessage().contains("left and right"), e.getMessage());
        String wide = config().toJson().replace("\"cross_attention_dim\": 32", "\"cross_attention_dim\": 64");
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException w = assertThrows(IllegalArgumentException.class, () -> Training.newTrainable(TrainConfig.parse(wide, "t"), m));
            assertTrue(w.getMessage().contains("cross_attention_dim 64") && w.getMessage().contains("hidden_size 32"), w.getMessage());
        }
    }

    /** Fine-tuning: init_from starts the U-Net from a folder's saved weights exactly, and another architecture is refused. */
    @Test
    void aRunInitialisedFromAModelFolderStartsFromItsWeights() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            trainer(m, dir.resolve("a")).train(3, null);
        }
        Path weights = dir.resolve("a/unet/diffusion_pytorch_model.safetensors");
        float[] saved = org.diffusion4j.io.SafeTensors.read(weights).floats("conv_out.weight");
        String json = CONFIG_JSON.replace("\"random_flip\": false", "\"random_flip\": false, \"init_from\": \""
                + dir.resolve("a") + "\"");
        TrainConfig fineTune = TrainConfig.parse(json, "fine-tune");
        assertEquals(dir.resolve("a").toString(), TrainConfig.parse(fineTune.toJson(), "again").initFrom(), "the key round-trips");
        try (NDManager m = NDManager.newBaseManager()) {
            float[] fresh = Training.newTrainable(config(), m).parameters().get("conv_out.weight").toFloatArray();
            float[] started = Training.newTrainable(fineTune, m).parameters().get("conv_out.weight").toFloatArray();
            assertArrayEquals(saved, started);
            assertFalse(java.util.Arrays.equals(fresh, started), "the saved weights are not the fresh initialisation");
            TrainConfig other = TrainConfig.parse(json.replace("[16, 32]", "[16, 16]"), "other");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Training.newTrainable(other, m));
            assertTrue(e.getMessage().contains("init_from") && e.getMessage().contains("another architecture"), e.getMessage());
            TrainConfig missing = TrainConfig.parse(json.replace(dir.resolve("a").toString(), dir.resolve("nowhere").toString()), "missing");
            IllegalArgumentException gone = assertThrows(IllegalArgumentException.class, () -> Training.newTrainable(missing, m));
            assertTrue(gone.getMessage().contains("init_from") && gone.getMessage().contains("nowhere"), gone.getMessage());
        }
    }
}
