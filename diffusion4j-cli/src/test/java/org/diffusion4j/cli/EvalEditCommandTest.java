package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval-edit}: on the bundled unconditional Fashion-MNIST model (inpainting and SDEdit scored by the classifier), and
 * on a text model of the shapes data (the StableDiffusionPipeline made by diffusers, a latent model: one object replaced,
 * read by the shapes analyzer).
 */
class EvalEditCommandTest {

    @TempDir
    Path dir;

    @Test
    void fashionMnistInpaintingAndSdEditWriteTheTableAndTheChart() throws Exception {
        Path out = dir.resolve("fashion");
        Cli r = Cli.run("eval-edit", "--model", Cli.root().resolve("models/fashion-mnist-ddpm-uncond").toString(), "-n", "4",
                "--steps", "3", "--regions", "centre", "--strengths", "0.4,1.0", "--jump-length", "2", "--jump-n-sample", "2",
                "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonObject json = JsonParser.parseString(Files.readString(out.resolve("edit-eval.json"))).getAsJsonObject();
        JsonArray inpaint = json.getAsJsonArray("inpaint_centre");
        assertEquals(4, inpaint.size(), "RePaint, RePaint r = 1, blend (ddpm), blend (ddim)");
        for (int i = 0; i < inpaint.size(); i++) {
            assertTrue(inpaint.get(i).getAsJsonObject().get("kept_max_8bit_difference").getAsInt() <= 1, "the kept pixels are kept");
        }
        assertEquals(3, json.getAsJsonArray("sdedit").size(), "the crude inputs and two strengths");
        assertTrue(Files.size(out.resolve("sdedit.png")) > 0);
    }

    @Test
    void aShapesTextModelReplacesOneObjectAndTheAnalyzerReadsIt() throws Exception {
        Path out = dir.resolve("shapes");
        Cli r = Cli.run("eval-edit", "--model", TextSampleCommandTest.folder().toString(), "-n", "4", "--steps", "3",
                "--jump-length", "2", "--jump-n-sample", "2", "--guidance", "2", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonArray rows = JsonParser.parseString(Files.readString(out.resolve("edit-eval.json"))).getAsJsonObject()
                .getAsJsonArray("shapes_replace_one");
        assertEquals(5, rows.size(), "unedited, ceiling, RePaint, RePaint r = 1, blend");
        JsonObject unedited = rows.get(0).getAsJsonObject();
        assertEquals(0.0, unedited.get("both_objects").getAsDouble(), "the asked pair is not in the original");
        assertTrue(unedited.get("still_original").getAsDouble() >= 0.75, unedited.toString());
        assertTrue(rows.get(1).getAsJsonObject().get("objects_and_relation").getAsDouble() >= 0.75, "the drawn targets pass");
        for (int i = 2; i < 5; i++) {
            assertEquals(0, rows.get(i).getAsJsonObject().get("kept_max_8bit_difference").getAsInt(),
                    "a latent model's kept pixels are overlaid exactly: " + rows.get(i));
        }
        BufferedImage grid = ImageIO.read(out.resolve("shapes-replace.png").toFile());
        assertEquals(3 * (5 * 16 + 6), grid.getWidth(), "five columns of 16 px, 1 px padding, x3");
        assertEquals(3 * (4 * 16 + 5), grid.getHeight(), "one row per image");
        assertTrue(r.out().contains("Replacing one object"), r.out());
    }

    @Test
    void guidanceIsRefusedForAModelWithoutText() {
        Cli r = Cli.run("eval-edit", "--model", Cli.root().resolve("models/fashion-mnist-ddpm-uncond").toString(), "--guidance", "2",
                "--out", dir.resolve("x").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--guidance is for text models"), r.err());
        assertFalse(r.err().contains("at org."), "no stack trace");
    }
}
