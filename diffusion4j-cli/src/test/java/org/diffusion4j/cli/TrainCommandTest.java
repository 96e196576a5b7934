package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.train.Checkpointing;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class TrainCommandTest {

    /** Runs the command; returns exit code and stderr. */
    static Object[] run(String... args) {
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            CommandLine cl = new CommandLine(new TrainCommand());
            cl.setErr(new java.io.PrintWriter(System.err, true));
            int code = cl.execute(args);
            return new Object[] {code, err.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setErr(saved);
        }
    }

    static Path images(Path dir, int n) throws IOException {
        Files.createDirectories(dir);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
            for (int y = 0; y < 28; y++) {
                for (int x = 0; x < 28; x++) {
                    img.getRaster().setSample(x, y, 0, ((x / 4) % 2 == 0) == (i % 2 == 0) ? 230 : r.nextInt(40));
                }
            }
            ImageIO.write(img, "png", dir.resolve(String.format("img%03d.png", i)).toFile());
        }
        return dir;
    }

    @Test
    void trainsResumesAndRefusesToOverwrite(@TempDir Path tmp) throws IOException {
        Path data = images(tmp.resolve("imgs"), 8);
        Path out = tmp.resolve("run");
        Object[] r = run("--data", data.toString(), "--config", "tiny", "--out", out.toString(), "--steps", "3",
                "--batch", "4", "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        ModelFolder f = new ModelFolder(out);
        assertTrue(Files.isRegularFile(f.modelIndexFile()));
        assertTrue(Files.isRegularFile(f.unetWeightsFile()));
        assertTrue(Files.isRegularFile(f.unetConfigFile()));
        assertTrue(Files.isRegularFile(f.schedulerConfigFile()));
        assertTrue(Files.isRegularFile(out.resolve("metrics.jsonl")));
        assertEquals(3, Checkpointing.of(f).list().get(0).step());

        r = run("--data", data.toString(), "--config", "tiny", "--out", out.toString(), "--steps", "5", "--batch", "4");
        assertNotEquals(0, r[0]);
        assertTrue(((String) r[1]).contains("already holds a training run") && ((String) r[1]).contains("--resume"),
                (String) r[1]);

        r = run("--out", out.toString(), "--resume", "--steps", "5", "--batch", "8");
        assertNotEquals(0, r[0]);
        assertTrue(((String) r[1]).contains("--batch differ"), (String) r[1]);

        r = run("--out", out.toString(), "--resume", "--steps", "5", "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("resumed from") && ((String) r[1]).contains("step-3"), (String) r[1]);
        assertEquals(5, Checkpointing.of(f).list().get(0).step());
    }

    @Test
    void mainListsTrainAndBenchTrain() {
        java.io.StringWriter out = new java.io.StringWriter();
        int code = Main.run(new String[] {"--help"}, new java.io.PrintWriter(out), new java.io.PrintWriter(new java.io.StringWriter()));
        assertEquals(0, code);
        assertTrue(out.toString().contains("train") && out.toString().contains("bench-train"), out.toString());
        java.io.StringWriter err = new java.io.StringWriter();
        code = Main.run(new String[] {"train", "--out", "x"}, new java.io.PrintWriter(new java.io.StringWriter()),
                new java.io.PrintWriter(err));
        assertEquals(2, code, "a usage error");
        assertTrue(err.toString().startsWith(Main.ERROR_PREFIX) && err.toString().contains("--minutes"), err.toString());
    }

    @Test
    void badInputIsRefusedBeforeAnythingIsWritten(@TempDir Path tmp) throws IOException {
        Path data = images(tmp.resolve("imgs"), 8);
        Path out = tmp.resolve("run");
        Path cfg = tmp.resolve("bad.json");
        Files.writeString(cfg, new String(TrainCommandTest.class.getResourceAsStream(
                "/org/diffusion4j/train/presets/tiny.json").readAllBytes(), StandardCharsets.UTF_8)
                .replace("\"norm_num_groups\": 8", "\"norm_num_groups\": 5"));
        Object[] r = run("--data", data.toString(), "--config", cfg.toString(), "--out", out.toString(), "--steps", "2");
        assertNotEquals(0, r[0]);
        assertTrue(((String) r[1]).contains("norm_num_groups"), (String) r[1]);
        assertFalse(Files.exists(out));

        r = run("--data", tmp.resolve("nowhere").toString(), "--config", "tiny", "--out", out.toString(), "--steps", "2");
        assertNotEquals(0, r[0]);
        assertTrue(((String) r[1]).contains("neither a known data set"), (String) r[1]);
        assertFalse(Files.exists(out));

        r = run("--config", "tiny", "--out", out.toString());
        assertNotEquals(0, r[0]);
        assertTrue(((String) r[1]).contains("--minutes") || ((String) r[1]).contains("--steps"), (String) r[1]);
    }

    /** hard_negative_weight on a caption folder without a two-object caption trains, and says that the term adds nothing. */
    @Test
    void hardNegativesWithoutTwoObjectCaptionsWarn(@TempDir Path tmp) throws IOException {
        Path data = Files.createDirectories(tmp.resolve("captioned"));
        StringBuilder metadata = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
            img.setRGB(4 + i, 4, 0xff0000);
            ImageIO.write(img, "png", data.resolve("img" + i + ".png").toFile());
            metadata.append("{\"file_name\": \"img").append(i).append(".png\", \"text\": \"a red circle\"}\n");
        }
        Files.writeString(data.resolve("metadata.jsonl"), metadata.toString());
        Path cfg = tmp.resolve("t2i.json");
        Files.writeString(cfg, "{\"model\": {\"_class_name\": \"UNet2DConditionModel\", \"sample_size\": 16, \"in_channels\": 3,"
                + " \"out_channels\": 3, \"block_out_channels\": [16, 32], \"layers_per_block\": 1,"
                + " \"down_block_types\": [\"CrossAttnDownBlock2D\", \"DownBlock2D\"], \"up_block_types\": [\"UpBlock2D\", \"CrossAttnUpBlock2D\"],"
                + " \"attention_head_dim\": 2, \"cross_attention_dim\": 32, \"norm_num_groups\": 8}, \"text_encoder\": \""
                + Cli.root().resolve("diffusion4j-core/src/test/resources/fixtures/diffusers-t2i") + "\", \"dataset\": \"" + data
                + "\", \"random_flip\": false, \"batch_size\": 2, \"hard_negative_weight\": 0.1}");
        Object[] r = run("--config", cfg.toString(), "--out", tmp.resolve("run").toString(), "--steps", "1", "--no-progress");
        assertEquals(0, r[0], (String) r[1]);
        assertTrue(((String) r[1]).contains("hard_negative_weight adds nothing"), (String) r[1]);
    }
}
