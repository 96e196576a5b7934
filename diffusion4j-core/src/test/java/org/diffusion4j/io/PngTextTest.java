package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class PngTextTest {

    static BufferedImage gray() {
        BufferedImage img = new BufferedImage(5, 3, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < 15; i++) {
            img.getRaster().setSample(i % 5, i / 5, 0, i * 17);
        }
        return img;
    }

    @Test
    void textChunksRoundTripAndThePixelsAreUnchanged() throws IOException {
        Map<String, String> text = new LinkedHashMap<>();
        text.put("parameters", "a red circle\nNegative prompt: \nSteps: 20, Sampler: ddim, Seed: 3");
        text.put("diffusion4j", "{\"seed\":3}");
        text.put("Comment", "caf\u00e9 \u4e2d");   // Latin-1 kept, the rest becomes '?'
        byte[] png = PngText.encode(gray(), text);
        Map<String, String> back = PngText.read(png);
        assertEquals(text.get("parameters"), back.get("parameters"));
        assertEquals(text.get("diffusion4j"), back.get("diffusion4j"));
        assertEquals("caf\u00e9 ?", back.get("Comment"));
        BufferedImage read = ImageIO.read(new ByteArrayInputStream(png));
        int[] a = gray().getRaster().getPixels(0, 0, 5, 3, (int[]) null);
        assertTrue(Arrays.equals(a, read.getRaster().getPixels(0, 0, 5, 3, (int[]) null)), "still a valid PNG with the same pixels");
    }

    @Test
    void theJdkPngReaderSeesTheChunks() throws IOException {
        byte[] png = PngText.encode(gray(), Map.of("parameters", "Steps: 7"));
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(png))) {
            ImageReader reader = ImageIO.getImageReaders(in).next();
            reader.setInput(in);
            IIOMetadata meta = reader.getImageMetadata(0);
            Element root = (Element) meta.getAsTree("javax_imageio_png_1.0");
            NodeList entries = root.getElementsByTagName("tEXtEntry");
            assertEquals(1, entries.getLength());
            assertEquals("parameters", ((Element) entries.item(0)).getAttribute("keyword"));
            assertEquals("Steps: 7", ((Element) entries.item(0)).getAttribute("value"));
        }
    }

    @Test
    void badKeysAndNonPngBytesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PngText.encode(gray(), Map.of("", "x")));
        assertThrows(IllegalArgumentException.class, () -> PngText.encode(gray(), Map.of("k".repeat(80), "x")));
        assertThrows(IOException.class, () -> PngText.read(new byte[] {1, 2, 3}));
        byte[] cut = Arrays.copyOf(assertDoesNotThrowEncode(), 40);
        assertThrows(IOException.class, () -> PngText.read(cut));
    }

    private static byte[] assertDoesNotThrowEncode() {
        try {
            return PngText.encode(gray(), Map.of("parameters", "x".repeat(100)));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
