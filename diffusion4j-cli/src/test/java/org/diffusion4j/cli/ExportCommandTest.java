package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code export --data shapes}: an ImageFolder (PNG + metadata.jsonl) whose pixels and captions are the data set's. */
class ExportCommandTest {

    @TempDir
    Path dir;

    @Test
    void writesPngsAndMetadataJsonlThatMatchTheDataSet() throws Exception {
        Path out = dir.resolve("shapes");
        Cli r = Cli.run("export", "--data", "shapes", "--out", out.toString(), "-n", "6", "--split", "test", "--seed", "3");
        assertEquals(0, r.exitCode(), r.err());
        ShapesDataset d = ShapesDataset.generate(32, Split.TEST, 3, 6);
        List<String> lines = Files.readAllLines(out.resolve("metadata.jsonl"));
        assertEquals(6, lines.size());
        for (int i = 0; i < 6; i++) {
            JsonObject o = JsonParser.parseString(lines.get(i)).getAsJsonObject();
            assertEquals(String.format("%06d.png", i), o.get("file_name").getAsString());
            assertEquals(d.caption(i), o.get("text").getAsString());
            assertEquals(i % 2 == 0 ? 1 : 2, o.getAsJsonArray("objects").size());
            BufferedImage img = ImageIO.read(out.resolve(o.get("file_name").getAsString()).toFile());
            assertEquals(32, img.getWidth());
            for (int y = 0; y < 32; y += 3) {
                for (int x = 0; x < 32; x += 3) {
                    int rgb = img.getRGB(x, y);
                    int p = i * 3 * 1024 + y * 32 + x;
                    assertEquals(d.pixels()[p] & 0xff, rgb >> 16 & 0xff);
                    assertEquals(d.pixels()[p + 1024] & 0xff, rgb >> 8 & 0xff);
                    assertEquals(d.pixels()[p + 2048] & 0xff, rgb & 0xff);
                }
            }
        }
    }

    @Test
    void badOptionsAreOneLineErrorsNamingTheOption() {
        Cli r = Cli.run("export", "--data", "fashion-mnist", "--out", dir.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--data fashion-mnist") && !r.err().contains("at org."), r.err());
        r = Cli.run("export", "--data", "shapes", "--out", dir.toString(), "--size", "8");
        assertTrue(r.exitCode() != 0 && r.err().contains("--size"), r.err());
        r = Cli.run("export", "--data", "shapes", "--out", dir.toString(), "--split", "val");
        assertTrue(r.exitCode() != 0 && r.err().contains("--split"), r.err());
    }

    @Test
    void infoSummarisesTheShapesDataSet() {
        Cli r = Cli.run("info", "--data", "shapes");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("0 with a held-out pair") && r.out().contains("green triangle"), r.out());
    }
}
