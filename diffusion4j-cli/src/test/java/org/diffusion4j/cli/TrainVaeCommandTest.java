package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import org.diffusion4j.diffusers.AutoencoderKLFolder;
import org.diffusion4j.nn.AutoencoderKL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train-vae} end to end at a tiny size: a diffusers AutoencoderKL folder with the measured scaling_factor. */
class TrainVaeCommandTest {

    @TempDir
    Path dir;

    @Test
    void writesALoadableFolderWithTheScalingFactorAndTheFigures() throws Exception {
        Path out = dir.resolve("vae-run");
        Cli r = Cli.run("train-vae", "--data", "shapes", "--size", "16", "--images", "64", "--steps", "3", "--batch", "4",
                "--channels", "4,4", "--groups", "2", "--latent-channels", "3", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("PSNR") && r.out().contains("scaling_factor"), r.out());
        JsonObject report = JsonParser.parseString(Files.readString(out.resolve("vae.json"))).getAsJsonObject();
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = AutoencoderKLFolder.load(out.resolve("vae"), m)) {
            assertEquals(report.get("scaling_factor").getAsDouble(), vae.config().scalingFactor(), 1e-12);
            assertEquals(2, vae.config().downsampleFactor());
            assertEquals(3, vae.config().latentChannels());
        }
        assertTrue(Files.size(out.resolve("reconstructions.png")) > 0 && Files.size(out.resolve("loss.png")) > 0);
    }

    @Test
    void badSettingsAreOneLineErrors() {
        String[][] cases = {
            {"--channels", "4,4,4", "--size", "18", "must divide"},
            {"--loss", "l3", "use l1 or l2"},
            {"--lr", "0", "--lr"},
            {"--steps", "0", "--steps"},
        };
        for (String[] c : cases) {
            String[] args = {"train-vae", "--data", "shapes", "--out", dir.resolve("x").toString(), "--groups", "2", c[0], c[1]};
            if (c.length == 5) {
                args = new String[] {"train-vae", "--data", "shapes", "--out", dir.resolve("x").toString(), "--groups", "2", c[0], c[1],
                    c[2], c[3]};
            }
            Cli r = Cli.run(args);
            assertEquals(2, r.exitCode(), String.join(" ", c) + ": " + r.err());
            assertTrue(r.err().contains(c[c.length - 1]), r.err());
            assertFalse(r.err().contains("\tat "), r.err());
        }
    }

    /**
     * {@code --init-from} starts from a folder's weights and architecture: with a learning rate too small to move a float32
     * weight, the run reproduces the first folder's reconstructions and scaling_factor exactly (a random start could not);
     * {@code --minutes} stops after the step that crosses it; contradicting the folder's architecture is refused.
     */
    @Test
    void initFromContinuesFromAFoldersWeightsAndMinutesBoundsTheRun() throws Exception {
        Path first = dir.resolve("first");
        assertEquals(0, Cli.run("train-vae", "--data", "shapes", "--size", "16", "--images", "64", "--steps", "3", "--batch", "4",
                "--channels", "4,4", "--groups", "2", "--latent-channels", "3", "--out", first.toString()).exitCode());
        Path second = dir.resolve("second");
        Cli r = Cli.run("train-vae", "--data", "shapes", "--size", "16", "--images", "64", "--batch", "4", "--lr", "1e-30",
                "--minutes", "0.0001", "--init-from", first.toString(), "--out", second.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("from " + first), r.out());
        JsonObject a = JsonParser.parseString(Files.readString(first.resolve("vae.json"))).getAsJsonObject();
        JsonObject b = JsonParser.parseString(Files.readString(second.resolve("vae.json"))).getAsJsonObject();
        assertEquals(1, b.get("steps").getAsInt(), "the deadline passes during the first step");
        assertEquals(first.toString(), b.get("init_from").getAsString());
        assertEquals(a.get("test_psnr_db").getAsDouble(), b.get("test_psnr_db").getAsDouble(), 0);
        assertEquals(a.get("scaling_factor").getAsDouble(), b.get("scaling_factor").getAsDouble(), 0);
        Cli bad = Cli.run("train-vae", "--data", "shapes", "--size", "16", "--images", "64", "--steps", "1", "--channels", "8,8",
                "--init-from", first.toString(), "--out", dir.resolve("third").toString());
        assertTrue(bad.exitCode() == 2 && bad.err().contains("--init-from " + first + " has widths [4, 4]") && !bad.err().contains("\tat "),
                bad.err());
        Cli missing = Cli.run("train-vae", "--data", "shapes", "--size", "16", "--steps", "1", "--init-from", dir.resolve("nope").toString(),
                "--out", dir.resolve("fourth").toString());
        assertTrue(missing.exitCode() == 2 && missing.err().contains("no auto-encoder there"), missing.err());
    }
}
