package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.diffusion4j.io.ImageGrid;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train} of a super-resolution stage and {@code upscale} with it, end to end at 16×16 gray. */
class UpscaleCommandTest {

    @TempDir
    Path dir;

    /** A tiny RGB super-resolution stage (factor 2, augmentation up to level 20 of 100) of side {@code size}. */
    private Path srConfig(int size, int checkpointEvery) throws java.io.IOException {
        Path config = dir.resolve("sr" + size + ".json");
        Files.writeString(config, "{\"model\": {\"_class_name\": \"UNet2DModel\", \"sample_size\": " + size + ", \"in_channels\": 6,"
                + " \"out_channels\": 3, \"block_out_channels\": [4, 8], \"layers_per_block\": 1, \"down_block_types\": [\"DownBlock2D\","
                + " \"DownBlock2D\"], \"up_block_types\": [\"UpBlock2D\", \"UpBlock2D\"], \"norm_num_groups\": 4, \"num_class_embeds\": 100},"
                + " \"dataset\": \"shapes\", \"batch_size\": 2, \"num_train_timesteps\": 100, \"sr_factor\": 2, \"sr_max_noise_level\": 20,"
                + " \"checkpoint_every\": " + checkpointEvery + ", \"log_every\": 1}");
        return config;
    }

    @Test
    void trainsAStageAndUpscalesAPng() throws Exception {
        Path config = srConfig(16, 2);
        Path model = dir.resolve("sr");
        Cli t = Cli.run("train", "--config", config.toString(), "--out", model.toString(), "--steps", "2", "--no-progress");
        assertEquals(0, t.exitCode(), t.err());
        Path small = dir.resolve("small.png");
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        img.setRGB(2, 2, 0xff0000);
        ImageGrid.writePng(small, img);
        Cli r = Cli.run("upscale", "--model", model.toString(), "--image", small.toString(), "-n", "2", "--steps", "3", "--out",
                dir.resolve("up.png").toString(), "--no-progress");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("8x8 -> 16x16") && r.out().contains("noise level 10"), r.out());
        assertEquals(2 * (3 * 16 + 4 * 2), ImageIO.read(dir.resolve("up.png").toFile()).getWidth(), "input + 2 results, scale 2");
        Cli bad = Cli.run("upscale", "--model", model.toString(), "--image", small.toString(), "--noise-level", "5000", "--no-progress");
        assertTrue(bad.exitCode() == 2 && bad.err().contains("--noise-level") && !bad.err().contains("\tat "), bad.err());
        Cli notSr = Cli.run("upscale", "--model", QualityFixtures.tinyConditionalModel(dir, "c", 8, List.of("a", "b"), 3, 10).toString(),
                "--image", small.toString(), "--no-progress");
        assertTrue(notSr.exitCode() == 2 && notSr.err().contains("not a super-resolution model"), notSr.err());
        assertFalse(notSr.err().contains("\tat "));
        Cli sample = Cli.run("sample", "--model", model.toString(), "-n", "1", "--no-progress", "--out", dir.resolve("s.png").toString());
        assertTrue(sample.exitCode() != 0 && sample.err().contains("super-resolution model"), sample.err());
    }

    /**
     * The cascade from a prompt: {@code sample --upscale} enlarges each image of a text model (the diffusers-made 16×16
     * StableDiffusionPipeline) with a 16 → 32 stage; the result does not depend on the batch (beyond rounding), and a stage of another size or
     * channel count is refused naming --upscale.
     */
    @Test
    void sampleUpscaleRunsTheCascadeFromAPrompt() throws Exception {
        Path config = srConfig(32, 1);
        Path sr = dir.resolve("sr32");
        Cli t = Cli.run("train", "--config", config.toString(), "--out", sr.toString(), "--steps", "1", "--no-progress");
        assertEquals(0, t.exitCode(), t.err());
        String text = TextSampleCommandTest.folder().toString();
        Path raw = dir.resolve("cascade.npy");
        Cli r = Cli.run("sample", "--model", text, "--prompt", "a red circle", "-n", "3", "--steps", "2", "--upscale", sr.toString(),
                "--upscale-steps", "3", "--no-progress", "--out", dir.resolve("c.png").toString(), "--out-raw", raw.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of(3L, 3L, 32L, 32L), java.util.Arrays.stream(org.diffusion4j.io.Npy.read(raw).shape()).boxed().toList());
        assertTrue(r.out().contains("3 images 16x16") && r.out().contains("upscaled to 32x32") && r.out().contains("3 steps")
                && r.out().contains("noise level 10"), r.out());
        Path again = dir.resolve("again.npy");
        assertEquals(0, Cli.run("sample", "--model", text, "--prompt", "a red circle", "-n", "3", "--steps", "2", "--upscale", sr.toString(),
                "--upscale-steps", "3", "--batch", "2", "--no-progress", "--out", dir.resolve("again.png").toString(), "--out-raw",
                again.toString()).exitCode());
        float[] a = org.diffusion4j.io.Npy.read(raw).floats();
        float[] b = org.diffusion4j.io.Npy.read(again).floats();
        for (int i = 0; i < a.length; i++) { // image i depends on image i and the seed only; kernels round other batch sizes by ulps
            assertEquals(a[i], b[i], 1e-4, "the batch changes nothing but rounding, at " + i);
        }
        Cli gray = Cli.run("sample", "--model", QualityFixtures.tinyConditionalModel(dir, "g", 16, List.of("a", "b"), 3, 10).toString(),
                "-n", "1", "--steps", "2", "--upscale", sr.toString(), "--no-progress", "--out", dir.resolve("g.png").toString());
        assertTrue(gray.exitCode() == 2 && gray.err().contains("--upscale " + sr) && gray.err().contains("upscales 3x16x16"), gray.err());
        assertFalse(gray.err().contains("\tat "));
    }

    /**
     * {@code eval --upscale} scores the cascade: every evaluation image is made small by the text model, enlarged by the stage,
     * and read at the stage's size next to real images of that size; a model that is not a text model is refused.
     */
    @Test
    void evalScoresTheCascadeAtTheStagesSize() throws Exception {
        Path sr = dir.resolve("sr32");
        assertEquals(0, Cli.run("train", "--config", srConfig(32, 1).toString(), "--out", sr.toString(), "--steps", "1", "--no-progress")
                .exitCode());
        String text = TextSampleCommandTest.folder().toString();
        Path json = dir.resolve("cascade.json");
        Cli r = Cli.run("eval", "--model", text, "--upscale", sr.toString(), "-n", "1", "--steps", "1", "--upscale-steps", "1",
                "--guidance", "2", "--json", json.toString(), "--no-progress");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("guidance 2.0: 84 images sampled and upscaled to 32x32 by " + sr), r.out());
        com.google.gson.JsonObject j = com.google.gson.JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        assertEquals(sr.toString(), j.get("upscale").getAsString());
        com.google.gson.JsonObject row = j.getAsJsonArray("model").get(0).getAsJsonObject();
        assertEquals(84, row.get("images").getAsInt());
        assertTrue(row.get("seconds_per_image").getAsDouble() > 0);
        assertEquals(org.diffusion4j.pipeline.ShapesEvaluation.ofRealImages(32, 400, org.diffusion4j.pipeline.Evaluation.ANCHOR_SEED)
                .oneObject(), j.getAsJsonObject("real_test_images").get("one_object").getAsDouble(), 0, "the ceiling is read at 32x32");
        Cli notText = Cli.run("eval", "--model", QualityFixtures.tinyConditionalModel(dir, "c", 8, List.of("a", "b"), 3, 10).toString(),
                "--upscale", sr.toString(), "-n", "2", "--steps", "1", "--metrics", "fd", "--no-progress");
        assertTrue(notText.exitCode() == 2 && notText.err().contains("--upscale") && !notText.err().contains("\tat "), notText.err());
    }
}
