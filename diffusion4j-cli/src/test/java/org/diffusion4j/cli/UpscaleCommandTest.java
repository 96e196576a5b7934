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

    @Test
    void trainsAStageAndUpscalesAPng() throws Exception {
        Path config = dir.resolve("sr.json");
        Files.writeString(config, "{\"model\": {\"_class_name\": \"UNet2DModel\", \"sample_size\": 16, \"in_channels\": 6,"
                + " \"out_channels\": 3, \"block_out_channels\": [4, 8], \"layers_per_block\": 1, \"down_block_types\": [\"DownBlock2D\","
                + " \"DownBlock2D\"], \"up_block_types\": [\"UpBlock2D\", \"UpBlock2D\"], \"norm_num_groups\": 4, \"num_class_embeds\": 100},"
                + " \"dataset\": \"shapes\", \"batch_size\": 2, \"num_train_timesteps\": 100, \"sr_factor\": 2, \"sr_max_noise_level\": 20,"
                + " \"checkpoint_every\": 2, \"log_every\": 1}");
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
}
