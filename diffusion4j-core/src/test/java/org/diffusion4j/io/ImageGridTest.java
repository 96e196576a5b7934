package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {

    @TempDir
    Path dir;

    @Test
    void pixelMappingEndsMidpointAndClipping() {
        assertEquals(0, ImageGrid.toByte(-1f));
        assertEquals(255, ImageGrid.toByte(1f));
        assertEquals(128, ImageGrid.toByte(0f)); // 127.5 rounds up, as numpy's round-half-even does for 127.5 → 128
        assertEquals(0, ImageGrid.toByte(-3.7f));
        assertEquals(255, ImageGrid.toByte(12f));
        assertEquals(0, ImageGrid.toByte(Float.NaN));
        assertEquals(0, ImageGrid.toByte(Float.NEGATIVE_INFINITY));
        assertEquals(255, ImageGrid.toByte(Float.POSITIVE_INFINITY));
        for (int b = 0; b <= 255; b++) {
            float v = b / 127.5f - 1f; // the inverse map a data loader uses
            assertEquals(b, ImageGrid.toByte(v), "byte " + b + " survives the round trip");
        }
    }

    @Test
    void grayGridLayoutIsRowMajorWithPadding() throws Exception {
        int n = 5;
        int h = 2;
        int w = 3;
        int pad = 1;
        float[] v = new float[n * h * w];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < h * w; i++) {
                v[k * h * w + i] = -1f + 0.1f * k + 0.01f * i; // distinct per image and pixel
            }
        }
        BufferedImage g = ImageGrid.grid(v, new long[] {n, 1, h, w}, 3, pad);
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, g.getType());
        assertEquals(3 * w + 4 * pad, g.getWidth());
        assertEquals(2 * h + 3 * pad, g.getHeight());
        for (int k = 0; k < n; k++) {
            int x0 = pad + (k % 3) * (w + pad);
            int y0 = pad + (k / 3) * (h + pad);
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int expected = ImageGrid.toByte(v[k * h * w + y * w + x]);
                    assertEquals(expected, g.getRaster().getSample(x0 + x, y0 + y, 0), "image " + k + " at " + x + "," + y);
                }
            }
        }
        assertEquals(ImageGrid.PAD_VALUE, g.getRaster().getSample(0, 0, 0));
        // the sixth cell (row 1, column 2) is empty and stays padding-coloured
        assertEquals(ImageGrid.PAD_VALUE, g.getRaster().getSample(pad + 2 * (w + pad), pad + h + pad, 0));

        Path png = dir.resolve("g.png");
        ImageGrid.writePng(png, g);
        BufferedImage back = ImageIO.read(png.toFile());
        assertEquals(g.getWidth(), back.getWidth());
        assertArrayEquals(g.getRaster().getPixels(0, 0, g.getWidth(), g.getHeight(), (int[]) null),
                back.getRaster().getPixels(0, 0, g.getWidth(), g.getHeight(), (int[]) null));
    }

    @Test
    void rgbChannelsLandInTheRightPlaces() {
        // one 1x2 RGB image: pixel 0 pure red, pixel 1 pure blue (planar NCHW)
        float[] v = {1, -1, /* G */ -1, -1, /* B */ -1, 1};
        BufferedImage img = ImageGrid.grid(v, new long[] {1, 3, 1, 2}, 1, 0);
        assertEquals(BufferedImage.TYPE_INT_RGB, img.getType());
        assertEquals(0xFF0000, img.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0x0000FF, img.getRGB(1, 0) & 0xFFFFFF);
    }

    @Test
    void ndArrayGridUsesSquareLayoutAndEachFileIsNamedByIndex() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.linspace(-1f, 1f, 10 * 4 * 4).reshape(new Shape(10, 1, 4, 4));
            BufferedImage g = ImageGrid.grid(x, 2);
            assertEquals(4, ImageGrid.defaultColumns(10));
            assertEquals(4 * 4 + 5 * 2, g.getWidth());
            assertEquals(3 * 4 + 4 * 2, g.getHeight());
            List<Path> files = ImageGrid.writeEach(dir.resolve("each"), "sample_", x, 7);
            assertEquals(10, files.size());
            assertEquals("sample_00007.png", files.get(0).getFileName().toString());
            assertEquals("sample_00016.png", files.get(9).getFileName().toString());
            BufferedImage last = ImageIO.read(files.get(9).toFile());
            assertEquals(4, last.getWidth());
            assertEquals(255, last.getRaster().getSample(3, 3, 0)); // the last value of linspace is 1
            assertEquals(1, Files.list(dir).count());
        }
    }

    @Test
    void scaleRepeatsPixels() {
        BufferedImage g = ImageGrid.grid(new float[] {-1, 1}, new long[] {1, 1, 1, 2}, 1, 0);
        BufferedImage s = ImageGrid.scale(g, 3);
        assertEquals(6, s.getWidth());
        assertEquals(3, s.getHeight());
        assertEquals(0, s.getRaster().getSample(2, 2, 0));
        assertEquals(255, s.getRaster().getSample(3, 0, 0));
    }

    @Test
    void refusesBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.grid(new float[8], new long[] {1, 2, 2, 2}, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.grid(new float[8], new long[] {2, 4}, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.grid(new float[7], new long[] {2, 1, 2, 2}, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> ImageGrid.grid(new float[8], new long[] {2, 1, 2, 2}, 0, 0));
    }
}
