package org.diffusion4j.io;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * Animated GIFs through the JDK's own GIF writer (javax.imageio): one frame per image, a fixed delay
 * between frames, and optionally the NETSCAPE2.0 extension that makes viewers loop forever. Used for
 * sampling trajectories (x_t or the x₀ estimate per step).
 */
public final class Gif {

    private static final String FORMAT = "javax_imageio_gif_image_1.0";

    private Gif() {}

    /**
     * Writes frames of equal size as an animated GIF, atomically. {@code delayMillis} is rounded to
     * the format's unit of 10 ms; {@code loop} repeats the animation forever.
     */
    public static void write(Path file, List<BufferedImage> frames, int delayMillis, boolean loop) throws IOException {
        if (frames.isEmpty()) {
            throw new IllegalArgumentException("an animated GIF needs at least one frame: " + file);
        }
        if (delayMillis < 0) {
            throw new IllegalArgumentException("frame delay must be non-negative, got " + delayMillis + " ms");
        }
        int w = frames.get(0).getWidth();
        int h = frames.get(0).getHeight();
        for (int i = 1; i < frames.size(); i++) {
            BufferedImage f = frames.get(i);
            if (f.getWidth() != w || f.getHeight() != h) {
                throw new IllegalArgumentException("frame " + i + " is " + f.getWidth() + "x" + f.getHeight()
                        + " but frame 0 is " + w + "x" + h + "; all frames of a GIF must be the same size");
            }
        }
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("gif");
        if (!writers.hasNext()) {
            throw new IOException("this JVM has no GIF writer; cannot write " + file);
        }
        ImageWriter writer = writers.next();
        int delayCentis = Math.round(delayMillis / 10f);
        AtomicFiles.write(file, out -> {
            try (ImageOutputStream ios = ImageIO.createImageOutputStream(out)) {
                writer.setOutput(ios);
                writer.prepareWriteSequence(null);
                for (int i = 0; i < frames.size(); i++) {
                    BufferedImage frame = frames.get(i);
                    ImageWriteParam param = writer.getDefaultWriteParam();
                    IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame), param);
                    configure(meta, delayCentis, loop && i == 0);
                    writer.writeToSequence(new IIOImage(frame, null, meta), param);
                }
                writer.endWriteSequence();
                ios.flush();
            } finally {
                writer.dispose();
            }
        });
    }

    private static void configure(IIOMetadata meta, int delayCentis, boolean loopExtension) throws IIOInvalidTreeException {
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(FORMAT);
        IIOMetadataNode gce = child(root, "GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("delayTime", Integer.toString(delayCentis));
        gce.setAttribute("transparentColorIndex", "0");
        if (loopExtension) {
            IIOMetadataNode apps = child(root, "ApplicationExtensions");
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[] {1, 0, 0}); // sub-block 1, loop count 0 = forever
            apps.appendChild(app);
        }
        meta.setFromTree(FORMAT, root);
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode node = new IIOMetadataNode(name);
        root.appendChild(node);
        return node;
    }
}
