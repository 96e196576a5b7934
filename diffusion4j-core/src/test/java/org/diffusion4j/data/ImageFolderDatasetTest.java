package org.diffusion4j.data;

import static org.diffusion4j.data.IdxFileTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDatasetTest {
    @TempDir
    Path dir;

    /** A gray image whose pixel (x, y) is {@code (seed + 7x + 3y) mod 256}. */
    static BufferedImage gray(int w, int h, int seed) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, (seed + 7 * x + 3 * y) & 0xff);
            }
        }
        return img;
    }

    static BufferedImage rgb(int w, int h, int r, int g, int b) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    static Path png(Path folder, String name, BufferedImage img) throws IOException {
        Files.createDirectories(folder);
        Path p = folder.resolve(name);
        assertTrue(ImageIO.write(img, "png", p.toFile()));
        return p;
    }

    @Test
    void grayFolderReadsExactPixelsInNameOrder() throws IOException {
        png(dir, "b.png", gray(5, 4, 100));
        png(dir, "a.PNG", gray(5, 4, 0));
        Files.writeString(dir.resolve("README.txt"), "ignored");
        ImageFolderDataset ds = ImageFolderDataset.open(dir, 1);
        assertEquals(2, ds.size());
        assertEquals(4, ds.height());
        assertEquals(5, ds.width());
        assertFalse(ds.hasLabels());
        assertEquals(-1, ds.label(1));
        assertEquals("a.PNG", ds.files().get(0).getFileName().toString());
        // image 1 (b.png), y = 3, x = 2: 100 + 14 + 9
        assertEquals(123, ds.pixels()[20 + 3 * 5 + 2] & 0xff);

        ImageFolderDataset rgb = ImageFolderDataset.open(dir, 3);
        assertEquals(3, rgb.channels());
        for (int c = 0; c < 3; c++) { // gray replicated into every channel, unchanged
            assertEquals(123, rgb.pixels()[(1 * 3 + c) * 20 + 3 * 5 + 2] & 0xff);
        }
    }

    @Test
    void classSubfoldersGiveSortedClassNamesAndLabels() throws IOException {
        png(dir.resolve("dog"), "1.png", rgb(3, 3, 10, 20, 30));
        png(dir.resolve("cat"), "1.png", rgb(3, 3, 200, 100, 50));
        png(dir.resolve("cat"), "2.png", rgb(3, 3, 0, 0, 255));
        ImageFolderDataset ds = ImageFolderDataset.open(dir, 3);
        assertEquals(List.of("cat", "dog"), ds.classNames());
        assertEquals(3, ds.size());
        assertEquals(0, ds.label(0));
        assertEquals(0, ds.label(1));
        assertEquals(1, ds.label(2));
        int plane = 9;
        assertEquals(200, ds.pixels()[0] & 0xff);
        assertEquals(100, ds.pixels()[plane] & 0xff);
        assertEquals(50, ds.pixels()[2 * plane] & 0xff);
        assertEquals(30, ds.pixels()[2 * 27 + 2 * plane + 4] & 0xff); // dog, blue, centre

        // RGB to gray: ITU-R 601 luma in PIL's 16-bit fixed point
        ImageFolderDataset gray = ImageFolderDataset.open(dir, 1);
        assertEquals((200 * 19595 + 100 * 38470 + 50 * 7471 + 32768) >> 16, gray.pixels()[0] & 0xff);
        assertEquals(Math.round(0.299 * 10 + 0.587 * 20 + 0.114 * 30), gray.pixels()[2 * 9] & 0xff);
    }

    @Test
    void mixedGrayAndRgbFilesConvertToTheChosenChannels() throws IOException {
        png(dir, "a.png", gray(2, 2, 50));
        png(dir, "b.png", rgb(2, 2, 255, 0, 0));
        ImageFolderDataset ds = ImageFolderDataset.open(dir, 3);
        assertEquals(50, ds.pixels()[4] & 0xff); // gray image, green plane
        assertEquals(255, ds.pixels()[12] & 0xff); // red image, red plane
        assertEquals(0, ds.pixels()[12 + 4] & 0xff); // red image, green plane
        assertMessage(assertThrows(IllegalArgumentException.class, () -> ImageFolderDataset.open(dir, 2)),
                "channels must be 1 (gray) or 3 (RGB), got 2");
    }

    @Test
    void alphaIsDropped() throws IOException {
        BufferedImage img = new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x4010_2030); // alpha 0x40, r 0x10, g 0x20, b 0x30
        png(dir, "a.png", img);
        ImageFolderDataset ds = ImageFolderDataset.open(dir, 3);
        assertEquals(0x10, ds.pixels()[0] & 0xff);
        assertEquals(0x20, ds.pixels()[4] & 0xff);
        assertEquals(0x30, ds.pixels()[8] & 0xff);
    }

    @Test
    void jpegIsRead() throws IOException {
        Files.createDirectories(dir);
        assertTrue(ImageIO.write(rgb(16, 16, 40, 160, 220), "jpg", dir.resolve("x.jpg").toFile()));
        ImageFolderDataset ds = ImageFolderDataset.open(dir, 3);
        assertEquals(16, ds.width());
        // lossy, but a flat colour survives within a few levels
        assertEquals(40, ds.pixels()[0] & 0xff, 4);
        assertEquals(160, ds.pixels()[256] & 0xff, 4);
        assertEquals(220, ds.pixels()[512] & 0xff, 4);
    }

    @Test
    void sizeMismatchNamesTheFirstMismatchingFileAndBothSizes() throws IOException {
        png(dir, "a.png", gray(28, 28, 0));
        png(dir, "b.png", gray(28, 28, 1));
        png(dir, "c.png", gray(32, 30, 2));
        png(dir, "d.png", gray(8, 8, 3));
        assertMessage(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir, 1)),
                dir.resolve("c.png") + ": is 32x30 (width x height) but a.png is 28x28");
    }

    @Test
    void resizeOnRequest() throws IOException {
        png(dir, "a.png", rgb(10, 6, 90, 90, 90));
        png(dir, "b.png", rgb(3, 7, 200, 10, 0));
        ImageFolderDataset ds = ImageFolderDataset.builder(dir).optChannels(3).optResize(4, 5).build();
        assertEquals(4, ds.height());
        assertEquals(5, ds.width());
        for (int i = 0; i < 20; i++) { // flat images stay flat at any scale
            assertEquals(90, ds.pixels()[i] & 0xff);
            assertEquals(200, ds.pixels()[60 + i] & 0xff);
            assertEquals(10, ds.pixels()[60 + 20 + i] & 0xff);
        }
    }

    @Test
    void declaredHugePngIsRefusedBeforeDecoding() throws IOException {
        Files.createDirectories(dir);
        Path bomb = dir.resolve("huge.png");
        Files.write(bomb, pngWithHeader(65535, 65535));
        assertTrue(Files.size(bomb) < 200);
        DatasetException e = assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir, 1));
        assertMessage(e, bomb + ": declares 65535x65535 pixels (width x height), above the limit of 4096x4096");
        // the same header with a genuine small size passes the header check and fails on the tiny IDAT
        Files.write(bomb, pngWithHeader(64, 64));
        assertMessage(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir, 1)),
                bomb + ": corrupt or truncated image");
    }

    @Test
    void truncatedAndGarbageFilesAreRefusedByName() throws IOException {
        BufferedImage noise = new BufferedImage(32, 32, BufferedImage.TYPE_BYTE_GRAY);
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < 32 * 32; i++) {
            noise.getRaster().setSample(i % 32, i / 32, 0, r.nextInt(256));
        }
        Path p = png(dir, "a.png", noise);
        byte[] full = Files.readAllBytes(p);
        Files.write(p, Arrays.copyOf(full, full.length / 2));
        assertMessage(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir, 1)),
                p + ": corrupt or truncated image");

        Files.delete(p);
        BufferedImage noiseRgb = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < 64 * 64; i++) {
            noiseRgb.setRGB(i % 64, i / 64, r.nextInt(1 << 24));
        }
        Path jpg = dir.resolve("b.jpg");
        assertTrue(ImageIO.write(noiseRgb, "jpg", jpg.toFile()));
        byte[] jpeg = Files.readAllBytes(jpg);
        Files.write(jpg, Arrays.copyOf(jpeg, jpeg.length / 2)); // the JPEG decoder only warns about this
        assertMessage(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir, 3)),
                jpg + ": corrupt or truncated image");
        Files.delete(jpg);

        Files.writeString(p, "this is not an image");
        assertMessage(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir, 1)),
                p + ": not a PNG or JPEG image");
    }

    @Test
    void layoutErrors() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        assertMessage(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(empty, 1)),
                "empty: no .png/.jpg/.jpeg images");
        assertMessage(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(dir.resolve("nope"), 1)),
                "nope: not a folder");

        Path mixed = dir.resolve("mixed");
        png(mixed, "top.png", gray(2, 2, 0));
        png(mixed.resolve("cls"), "x.png", gray(2, 2, 0));
        assertMessage(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(mixed, 1)),
                "holds both images (top.png) and class sub-folders with images (cls)");

        Path classes = dir.resolve("classes");
        png(classes.resolve("a"), "x.png", gray(2, 2, 0));
        Files.createDirectories(classes.resolve("b"));
        assertMessage(assertThrows(DatasetException.class, () -> ImageFolderDataset.open(classes, 1)),
                classes.resolve("b") + ": class folder holds no .png/.jpg/.jpeg image");
    }

    /** A PNG whose IHDR declares width x height (gray, 8 bit), followed by a tiny IDAT and IEND. */
    static byte[] pngWithHeader(int width, int height) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
        DataOutputStream h = new DataOutputStream(ihdr);
        h.writeInt(width);
        h.writeInt(height);
        h.write(new byte[] {8, 0, 0, 0, 0}); // bit depth 8, gray, deflate, filter 0, no interlace
        chunk(out, "IHDR", ihdr.toByteArray());
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[] {0, 0, 0, 0}); // filter byte + 3 pixels of one row
        deflater.finish();
        byte[] idat = new byte[64];
        int n = deflater.deflate(idat);
        chunk(out, "IDAT", Arrays.copyOf(idat, n));
        chunk(out, "IEND", new byte[0]);
        return bytes.toByteArray();
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.writeInt(data.length);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }
}
