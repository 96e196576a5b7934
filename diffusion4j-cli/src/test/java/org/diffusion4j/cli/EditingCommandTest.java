package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.diffusion4j.io.ImageGrid;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code edit} and {@code inpaint} on a tiny random class-conditional model (8×8 gray), with real PNG files. */
class EditingCommandTest {

    @TempDir
    Path dir;

    Path model;
    Path image;

    @BeforeEach
    void files() throws Exception {
        model = QualityFixtures.tinyConditionalModel(dir, "cond", 8, List.of("Sneaker", "T-shirt/top", "Ankle boot"), 4, 10);
        image = dir.resolve("in.png");
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_BYTE_GRAY); // resized to 8x8 by the command
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                img.getRaster().setSample(x, y, 0, (x * 16 + y * 3) % 256);
            }
        }
        ImageGrid.writePng(image, img);
    }

    private Cli run(String command, String... extra) {
        String[] base = {command, "--model", model.toString(), "--image", image.toString(), "--no-progress", "-n", "3",
            "--out", dir.resolve(command + ".png").toString()};
        String[] args = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Cli.run(args);
    }

    @Test
    void inpaintWithABoxKeepsTheRestAndWritesTheStrip() throws Exception {
        Cli r = run("inpaint", "--box", "2,2,4,4", "--class", "sneaker", "--steps", "10", "--jump-length", "2", "--jump-n-sample", "2",
                "--out-dir", dir.resolve("each").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("RePaint") && r.out().contains("ddpm 10 steps"), r.out());
        assertTrue(r.out().contains("largest 8-bit difference from the original 0"), r.out());
        BufferedImage strip = ImageIO.read(dir.resolve("inpaint.png").toFile());
        assertEquals(2 * (5 * 8 + 6 * 2), strip.getWidth(), "original, masked, 3 results at scale 2 with 2 px padding");
        assertEquals(3, Files.list(dir.resolve("each")).count());
    }

    @Test
    void inpaintWithAMaskPngByBlendWithASolver() throws Exception {
        Path mask = dir.resolve("mask.png");
        BufferedImage m = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 8; y++) {
            for (int x = 4; x < 8; x++) {
                m.getRaster().setSample(x, y, 0, 255);
            }
        }
        ImageGrid.writePng(mask, m);
        Cli r = run("inpaint", "--mask", mask.toString(), "--method", "blend", "--sampler", "dpm-solver++", "--steps", "5");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("mask-blend") && r.out().contains("difference from the original 0"), r.out());
    }

    @Test
    void editRunsSdEditAtTheStrength() {
        Cli r = run("edit", "--strength", "0.5", "--steps", "10", "--class", "2");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("SDEdit at strength 0.5") && r.out().contains("5 network evaluations per image"), r.out());
        assertTrue(Files.exists(dir.resolve("edit.png")));
    }

    @Test
    void mistakesAreOneLineErrorsNamingTheOptionAndTheFix() throws Exception {
        Path black = dir.resolve("black.png");
        ImageGrid.writePng(black, new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY));
        Path notImage = dir.resolve("notes.png");
        Files.writeString(notImage, "not a picture");
        String[][] cases = {
            {"inpaint", "--box", "2,2,4", "--box takes x,y,w,h"},
            {"inpaint", "--box", "6,6,4,4", "inside the 8x8 image"},
            {"inpaint", "--mask", black.toString(), "all black"},
            {"inpaint", "--box", "1,1,2,2", "--sampler", "euler", "--sampler ddpm"},
            {"inpaint", "--box", "1,1,2,2", "--method", "magic", "repaint or blend"},
            {"inpaint", "--box", "1,1,2,2", "--jump-n-sample", "0", "--jump-n-sample"},
            {"edit", "--strength", "0", "--strength"},
            {"edit", "--strength", "0.01", "--steps", "10", "raise --strength or --steps"},
            {"edit", "--sampler", "langevin", "--sampler langevin"},
            {"edit", "--prompt", "a red circle", "not a text-conditional model"},
        };
        for (String[] c : cases) {
            Cli r = run(c[0], Arrays.copyOfRange(c, 1, c.length - 1));
            assertEquals(2, r.exitCode(), Arrays.toString(c) + ": " + r.err());
            assertTrue(r.err().contains(c[c.length - 1]), Arrays.toString(c) + ": " + r.err());
            assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        }
        Cli r = Cli.run("edit", "--model", model.toString(), "--image", notImage.toString(), "--no-progress");
        assertTrue(r.exitCode() != 0 && r.err().contains("notes.png") && !r.err().contains("\tat "), r.err());
        r = Cli.run("inpaint", "--model", model.toString(), "--image", image.toString(), "--box", "1,1,2,2", "--mask", black.toString());
        assertTrue(r.exitCode() == 2 && r.err().contains("mutually exclusive"), r.err());
    }
}
