package org.diffusion4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import org.diffusion4j.data.Datasets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ForwardCommandTest {

    @TempDir
    Path dir;

    /** A 20×12 gray gradient PNG: pixel (x, y) = 10x + y. */
    private Path grayPng() throws Exception {
        BufferedImage img = new BufferedImage(20, 12, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 20; x++) {
                img.getRaster().setSample(x, y, 0, 10 * x + y);
            }
        }
        Path p = dir.resolve("in.png");
        ImageIO.write(img, "png", p.toFile());
        return p;
    }

    @Test
    void writesAStripOfTheExpectedSizeFromAPng() throws Exception {
        Path out = dir.resolve("strip.png");
        Cli r = Cli.run("forward", "--image", grayPng().toString(), "--t", "0,10,999", "--scale", "2", "--no-labels",
                "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        BufferedImage s = ImageIO.read(out.toFile());
        // 3 frames of 20 px with 1 px padding around each, all scaled by 2
        assertEquals((3 * 20 + 4) * 2, s.getWidth());
        assertEquals((12 + 2) * 2, s.getHeight());
        assertEquals(1, s.getRaster().getNumBands(), "gray in, gray out");
        // frame 0 is x_0 scaled by sqrt(alphas_cumprod[0]) = 0.99995 plus 0.01 ε: within a few levels of the input
        int maxDiff = 0;
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 20; x++) {
                int v = s.getRaster().getSample(2 * (1 + x), 2 * (1 + y), 0);
                maxDiff = Math.max(maxDiff, Math.abs(v - (10 * x + y)));
            }
        }
        assertTrue(maxDiff <= 6, "t=0 frame differs from the input by " + maxDiff + " levels");
        // frame 2 (t = 999, ᾱ ≈ 4e-5) is essentially pure noise: uncorrelated with the gradient, with wide spread
        double mean = 0;
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 20; x++) {
                mean += s.getRaster().getSample(2 * (1 + 2 * 21 + x), 2 * (1 + y), 0);
            }
        }
        mean /= 240;
        assertTrue(Math.abs(mean - 127.5) < 25, "noise frame mean " + mean);
        assertTrue(r.out().contains("wrote " + out), r.out());
    }

    @Test
    void labelsAddABandAndRgbStaysRgb() throws Exception {
        BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
        img.setRGB(3, 3, 0xFF0000);
        Path in = dir.resolve("rgb.png");
        ImageIO.write(img, "png", in.toFile());
        Path out = dir.resolve("rgb-strip.png");
        Cli r = Cli.run("forward", "--image", in.toString(), "--t", "0,500", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        BufferedImage s = ImageIO.read(out.toFile());
        int scale = 14; // ceil(112 / 8)
        assertEquals((2 * 8 + 3) * scale, s.getWidth());
        assertTrue(s.getHeight() > (8 + 2) * scale, "a label band below the frames");
        assertEquals(3, s.getRaster().getNumBands());
        int red = s.getRGB(scale * (1 + 3) + 1, scale * (1 + 3) + 1);
        assertTrue((red >> 16 & 0xff) > 200 && (red >> 8 & 0xff) < 60, "the red pixel survives at t=0: " + Integer.toHexString(red));
    }

    @Test
    void sameSeedSameStripDifferentSeedDifferentStrip() throws Exception {
        Path in = grayPng();
        Path a = dir.resolve("a.png");
        Path b = dir.resolve("b.png");
        Path c = dir.resolve("c.png");
        Cli.run("forward", "--image", in.toString(), "--seed", "5", "--out", a.toString());
        Cli.run("forward", "--image", in.toString(), "--seed", "5", "--out", b.toString());
        Cli.run("forward", "--image", in.toString(), "--seed", "6", "--out", c.toString());
        assertEquals(java.util.Arrays.hashCode(java.nio.file.Files.readAllBytes(a)),
                java.util.Arrays.hashCode(java.nio.file.Files.readAllBytes(b)));
        assertTrue(!java.util.Arrays.equals(java.nio.file.Files.readAllBytes(a), java.nio.file.Files.readAllBytes(c)));
    }

    @Test
    void scheduleFromAModelFolderMatchesTheSameScheduleGivenByName() throws Exception {
        Path in = grayPng();
        Path model = InfoCommandTest.modelFolder(dir); // DDPMScheduler: linear 1e-4 → 0.02, T = 1000
        Path a = dir.resolve("named.png");
        Path b = dir.resolve("model.png");
        Path c = dir.resolve("cosine.png");
        assertEquals(0, Cli.run("forward", "--image", in.toString(), "--out", a.toString()).exitCode());
        assertEquals(0, Cli.run("forward", "--image", in.toString(), "--model", model.toString(), "--out", b.toString()).exitCode());
        assertEquals(0, Cli.run("forward", "--image", in.toString(), "--schedule", "cosine", "--out", c.toString()).exitCode());
        assertTrue(java.util.Arrays.equals(java.nio.file.Files.readAllBytes(a), java.nio.file.Files.readAllBytes(b)));
        assertTrue(!java.util.Arrays.equals(java.nio.file.Files.readAllBytes(a), java.nio.file.Files.readAllBytes(c)));
    }

    @Test
    void timestepOutsideTheScheduleIsAUsageError() throws Exception {
        Cli r = Cli.run("forward", "--image", grayPng().toString(), "--t", "0,1000", "--out", dir.resolve("x.png").toString());
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("1000") && r.err().contains("[0, 999]"), r.err());
        r = Cli.run("forward", "--image", grayPng().toString(), "--schedule", "zigzag");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("zigzag") && r.err().contains("squaredcos_cap_v2"), r.err());
    }

    @Test
    void fashionMnistStrip() throws Exception {
        assumeTrue(Datasets.isInstalled("fashion-mnist"),
                "Fashion-MNIST is not installed (apt-get install -y dataset-fashion-mnist); skipping");
        Path out = dir.resolve("fm.png");
        Cli r = Cli.run("forward", "--dataset", "fashion-mnist", "--split", "test", "--index", "7", "--no-labels",
                "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        BufferedImage s = ImageIO.read(out.toFile());
        assertEquals((6 * 28 + 7) * 4, s.getWidth()); // six default timesteps, scale 4 for 28x28
        assertEquals((28 + 2) * 4, s.getHeight());
        r = Cli.run("forward", "--dataset", "fashion-mnist", "--split", "test", "--index", "10000");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--index 10000"), r.err());
    }
}
