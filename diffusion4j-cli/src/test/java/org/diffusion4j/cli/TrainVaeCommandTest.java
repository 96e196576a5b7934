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
}
