package org.diffusion4j.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/** Reading one image file safely: header first, size checks, then pixels as uint8 planes. */
public final class ImageFiles {
    private ImageFiles() {
    }

    /** The default limit on an image's width and height. */
    public static final int DEFAULT_MAX_SIDE = 4096;

    /**
     * A decoded image: uint8 planes (CHW), one for a gray source and three (RGB) for any other.
     *
     * @param planes channels · height · width bytes
     */
    public record Decoded(byte[] planes, int channels, int width, int height) {}

    /**
     * Reads one image file (PNG, JPEG, …) given by a user: its declared size is checked against
     * {@code maxSide} before any pixel is decoded, and a corrupt file is a {@link DatasetException}
     * naming it. Gray sources stay gray; colour (and palette) sources become RGB.
     */
    public static Decoded read(Path file, int maxSide) throws DatasetException {
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new DatasetException(file + ": no such image file");
        }
        int[] size = new int[2];
        BufferedImage image = decodeImage(file, maxSide, (w, h) -> {}, size);
        int channels = isGray(image) ? 1 : 3;
        return new Decoded(planes(image, channels), channels, size[0], size[1]);
    }

    /**
     * Reads a user's image for a model that makes {@code channels} × {@code height} × {@code width} images: decoded
     * (size checked before decoding), converted to the channel count, resized bilinearly (as PIL) when its size
     * differs, and mapped to the model's range, v/127.5 − 1. CHW floats.
     */
    public static float[] readForModel(Path file, int channels, int height, int width) throws DatasetException {
        int[] size = new int[2];
        byte[] planes = decode(file, channels, DEFAULT_MAX_SIDE, (w, h) -> {}, size);
        byte[] resized = Resize.bilinear(planes, channels, size[1], size[0], height, width);
        float[] out = new float[resized.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (resized[i] & 0xff) / 127.5f - 1f;
        }
        return out;
    }

    /**
     * Reads an inpainting mask as diffusers does: gray (colour through luma), resized bilinearly to
     * {@code height} × {@code width}, binarised at half intensity — 1 where white (repaint), 0 where black (keep).
     *
     * @throws DatasetException also for a mask with nothing to repaint or nothing to keep, which is surely a mistake
     */
    public static float[] readMask(Path file, int height, int width) throws DatasetException {
        int[] size = new int[2];
        byte[] planes = decode(file, 1, DEFAULT_MAX_SIDE, (w, h) -> {}, size);
        byte[] resized = Resize.bilinear(planes, 1, size[1], size[0], height, width);
        float[] out = new float[resized.length];
        int white = 0;
        for (int i = 0; i < out.length; i++) {
            out[i] = (resized[i] & 0xff) >= 128 ? 1f : 0f;
            white += (int) out[i];
        }
        if (white == 0 || white == out.length) {
            throw new DatasetException(file + ": the mask is all " + (white == 0 ? "black (nothing to repaint)" : "white (nothing to keep)")
                    + " at " + width + "x" + height + "; white marks the pixels to repaint, black the ones to keep");
        }
        return out;
    }

    /** Called with the declared size after the header is read and before any pixel is decoded. */
    interface SizeCheck {
        void check(int width, int height) throws DatasetException;
    }

    /**
     * Decodes {@code file} into {@code channels} uint8 planes (CHW) of its own size. The declared
     * width and height are read from the header first; both must be at most {@code maxSide}, and
     * {@code check} may refuse them too, all before pixels are decoded. Decoder warnings (e.g. a
     * JPEG that ends early) are refused like errors.
     *
     * @param size receives {width, height}
     */
    static byte[] decode(Path file, int channels, int maxSide, SizeCheck check, int[] size) throws DatasetException {
        return planes(decodeImage(file, maxSide, check, size), channels);
    }

    private static BufferedImage decodeImage(Path file, int maxSide, SizeCheck check, int[] size) throws DatasetException {
        try (ImageInputStream iis = ImageIO.createImageInputStream(file.toFile())) {
            if (iis == null) {
                throw new DatasetException(file + ": cannot be opened for reading");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
            if (!readers.hasNext()) {
                throw new DatasetException(file + ": not a PNG or JPEG image (no image reader recognizes its content)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(iis, true, true);
                int width = reader.getWidth(0);
                int height = reader.getHeight(0);
                if (width <= 0 || height <= 0 || width > maxSide || height > maxSide) {
                    throw new DatasetException(file + ": declares " + width + "x" + height
                            + " pixels (width x height), above the limit of " + maxSide + "x" + maxSide
                            + "; refused before decoding (raise the limit with optMaxSide if the image is genuine)");
                }
                check.check(width, height);
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new DatasetException(file + ": corrupt or truncated image: " + String.join("; ", warnings));
                }
                size[0] = width;
                size[1] = height;
                return image;
            } finally {
                reader.dispose();
            }
        } catch (DatasetException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            Throwable root = e;
            while (root.getCause() != null) {
                root = root.getCause();
            }
            String rootWhy = root.getMessage() != null ? root.getMessage() : root.getClass().getSimpleName();
            String why = e.getMessage() + (root != e ? " (" + rootWhy + ")" : "");
            throw new DatasetException(file + ": corrupt or truncated image: " + why, e);
        }
    }

    /**
     * The image as {@code channels} uint8 planes. Gray sources are read from the raster (no colour
     * space conversion, so gray value v stays v); others through sRGB. RGB to gray uses ITU-R 601
     * luma with PIL's fixed-point rounding, gray to RGB replicates. Alpha is dropped.
     */
    static byte[] planes(BufferedImage image, int channels) {
        int w = image.getWidth();
        int h = image.getHeight();
        int plane = w * h;
        byte[] out = new byte[channels * plane];
        ColorModel cm = image.getColorModel();
        if (isGray(image)) {
            Raster raster = image.getRaster();
            double max = (1 << cm.getComponentSize(0)) - 1;
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    byte v = (byte) Math.round(row[x] * 255.0 / max);
                    for (int c = 0; c < channels; c++) {
                        out[c * plane + y * w + x] = v;
                    }
                }
            }
            return out;
        }
        int[] argb = new int[w];
        for (int y = 0; y < h; y++) {
            image.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0; x < w; x++) {
                int r = (argb[x] >> 16) & 0xff;
                int g = (argb[x] >> 8) & 0xff;
                int b = argb[x] & 0xff;
                int i = y * w + x;
                if (channels == 1) {
                    out[i] = (byte) ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16);
                } else {
                    out[i] = (byte) r;
                    out[plane + i] = (byte) g;
                    out[2 * plane + i] = (byte) b;
                }
            }
        }
        return out;
    }

    /** Whether the image is stored as gray levels (not a palette, not colour). */
    private static boolean isGray(BufferedImage image) {
        ColorModel cm = image.getColorModel();
        return !(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
    }
}
