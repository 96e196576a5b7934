package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Captioned image folders (diffusers' ImageFolder convention): read back exactly, refused clearly when broken. */
class CaptionedImageFolderTest {

    @TempDir
    Path dir;

    /** Writes the first n shapes images as PNGs with a metadata.jsonl, as `export --data shapes` does. */
    private ShapesDataset writeShapes(int n) throws IOException {
        ShapesDataset d = ShapesDataset.generate(32, Split.TEST, 1, n);
        StringBuilder meta = new StringBuilder();
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(32, 32, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 32; y++) {
                for (int x = 0; x < 32; x++) {
                    int p = i * 3072 + y * 32 + x;
                    img.setRGB(x, y, (d.pixels()[p] & 0xff) << 16 | (d.pixels()[p + 1024] & 0xff) << 8 | d.pixels()[p + 2048] & 0xff);
                }
            }
            ImageIO.write(img, "png", dir.resolve(i + ".png").toFile());
            meta.append("{\"file_name\": \"").append(i).append(".png\", \"text\": \"").append(d.caption(i)).append("\", \"extra\": 1}\n");
        }
        Files.writeString(dir.resolve("metadata.jsonl"), meta);
        return d;
    }

    @Test
    void imagesAndCaptionsReadBackExactly() throws IOException {
        ShapesDataset d = writeShapes(5);
        CaptionedImageFolder f = CaptionedImageFolder.open(dir, 3);
        assertEquals(5, f.size());
        assertEquals(32, f.width());
        assertArrayEquals(d.pixels(), f.pixels());
        for (int i = 0; i < 5; i++) {
            assertEquals(d.caption(i), f.caption(i));
        }
        assertEquals(1, CaptionedImageFolder.open(dir, 1).channels(), "gray on request");
    }

    @Test
    void brokenMetadataIsRefusedNamingTheLine() throws IOException {
        writeShapes(2);
        String good = Files.readString(dir.resolve("metadata.jsonl"));
        String[][] cases = {
            {good + "{\"file_name\": \"1.png\"}\n", "line 3", "\"text\" must be a string"},
            {good + "not json\n", "line 3", "not valid JSON"},
            {good + "{\"file_name\": \"9.png\", \"text\": \"a\"}\n", "line 3", "does not exist"},
            {good + "{\"file_name\": \"../x.png\", \"text\": \"a\"}\n", "line 3", "outside the folder"},
            {"{\"file_name\": \"0.png\", \"text\": \"  \"}\n", "line 1", "is empty"},
            {"[1, 2]\n", "line 1", "expected a JSON object"},
            {"\n\n", "metadata.jsonl", "no images listed"},
        };
        for (String[] c : cases) {
            Files.writeString(dir.resolve("metadata.jsonl"), c[0]);
            DatasetException e = assertThrows(DatasetException.class, () -> CaptionedImageFolder.open(dir, 3), c[2]);
            assertTrue(e.getMessage().contains(c[1]) && e.getMessage().contains(c[2]), e.getMessage());
        }
        Files.delete(dir.resolve("metadata.jsonl"));
        assertTrue(assertThrows(DatasetException.class, () -> CaptionedImageFolder.open(dir, 3)).getMessage().contains("no metadata.jsonl"));
    }

    @Test
    void imagesOfAnotherSizeAreRefusedNamingTheFile() throws IOException {
        writeShapes(2);
        ImageIO.write(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), "png", dir.resolve("1.png").toFile());
        DatasetException e = assertThrows(DatasetException.class, () -> CaptionedImageFolder.open(dir, 3));
        assertTrue(e.getMessage().contains("1.png") && e.getMessage().contains("one size"), e.getMessage());
        assertTrue(Arrays.asList(ShapesDataset.class.getInterfaces()).contains(CaptionedImages.class));
    }
}
