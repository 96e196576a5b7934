package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Node;

class GifTest {

    @TempDir
    Path dir;

    @Test
    void writesEveryFrameWithDelayAndLoop() throws Exception {
        for (int type : new int[] {BufferedImage.TYPE_BYTE_GRAY, BufferedImage.TYPE_INT_RGB}) {
            List<BufferedImage> frames = new ArrayList<>();
            int n = 7;
            for (int i = 0; i < n; i++) {
                BufferedImage f = new BufferedImage(12, 9, type);
                f.setRGB(i, 0, 0xFFFFFF); // a white pixel that moves right
                frames.add(f);
            }
            Path gif = dir.resolve("anim" + type + ".gif");
            Gif.write(gif, frames, 120, true);

            try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
                ImageReader r = ImageIO.getImageReadersByFormatName("gif").next();
                r.setInput(in);
                assertEquals(n, r.getNumImages(true));
                for (int i = 0; i < n; i++) {
                    BufferedImage f = r.read(i);
                    assertEquals(12, f.getWidth());
                    assertEquals(9, f.getHeight());
                    assertEquals(0xFFFFFF, f.getRGB(i, 0) & 0xFFFFFF, "frame " + i + " has its bright pixel");
                    assertEquals(0, f.getRGB((i + 1) % 12, 0) & 0xFFFFFF, "frame " + i + " is black elsewhere");
                    IIOMetadataNode root = (IIOMetadataNode) r.getImageMetadata(i).getAsTree("javax_imageio_gif_image_1.0");
                    Node gce = root.getElementsByTagName("GraphicControlExtension").item(0);
                    assertEquals("12", gce.getAttributes().getNamedItem("delayTime").getNodeValue());
                    boolean hasLoop = root.getElementsByTagName("ApplicationExtension").getLength() > 0;
                    assertEquals(i == 0, hasLoop, "NETSCAPE2.0 loop extension only on frame 0");
                }
                r.dispose();
            }
        }
    }

    @Test
    void refusesFramesOfDifferentSizesWithoutWritingAnything() {
        Path gif = dir.resolve("bad.gif");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Gif.write(gif,
                List.of(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY), new BufferedImage(5, 4, BufferedImage.TYPE_BYTE_GRAY)),
                100, true));
        assertTrue(e.getMessage().contains("frame 1"), e.getMessage());
        assertFalse(Files.exists(gif));
        assertThrows(IllegalArgumentException.class, () -> Gif.write(gif, List.of(), 100, true));
    }
}
