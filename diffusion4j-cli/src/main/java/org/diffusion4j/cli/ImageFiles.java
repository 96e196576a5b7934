package org.diffusion4j.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import javax.imageio.ImageIO;

/** Reading a single image file given on the command line. */
final class ImageFiles {

    private ImageFiles() {}

    /** Decodes a PNG, JPEG, GIF or BMP file; refuses anything else with the file name. */
    static BufferedImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such image file");
        }
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": cannot decode the image (" + e.getMessage() + ")", e);
        }
        if (img == null) {
            throw new IOException(file + ": not an image format Java can read; use PNG or JPEG");
        }
        return img;
    }
}
