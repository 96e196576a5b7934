package org.diffusion4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.awt.image.BufferedImage;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Images in the model's range [−1, 1] (NCHW float, channels 1 = gray or 3 = RGB) to pictures: a grid
 * of all images in one PNG, or one PNG per image.
 *
 * <p>A value v maps to the byte {@code round((clip(v, −1, 1) + 1) · 127.5)}, so −1 → 0, 0 → 128 and
 * 1 → 255, as diffusers' {@code (x / 2 + 0.5).clamp(0, 1) * 255} then rounding; NaN maps to 0. The
 * grid is laid out row-major (image k at row k / columns, column k % columns) with {@code padding}
 * pixels of {@link #PAD_VALUE} between images and around the border, like torchvision's
 * {@code make_grid}. Gray input gives an 8-bit gray PNG; RGB gives a 24-bit PNG.
 */
public final class ImageGrid {

    /** The byte value of the padding between images (light gray, visible on black backgrounds). */
    public static final int PAD_VALUE = 200;

    private ImageGrid() {}

    /** The byte value of a model-range pixel value (see the class comment). */
    public static int toByte(float v) {
        if (Float.isNaN(v)) {
            return 0;
        }
        float c = Math.max(-1f, Math.min(1f, v));
        return Math.round((c + 1f) * 127.5f);
    }

    /** The default number of columns for n images: ⌈√n⌉, so the grid is as square as possible. */
    public static int defaultColumns(int n) {
        int c = (int) Math.ceil(Math.sqrt(n));
        return Math.max(1, c);
    }

    /** A grid of the images of an NCHW (or a single CHW) array, with ⌈√n⌉ columns. */
    public static BufferedImage grid(NDArray images, int padding) {
        long[] shape = nchw(images.getShape().getShape());
        return grid(floats(images), shape, defaultColumns((int) shape[0]), padding);
    }

    /** A grid of the images of an NCHW (or a single CHW) array. */
    public static BufferedImage grid(NDArray images, int columns, int padding) {
        return grid(floats(images), images.getShape().getShape(), columns, padding);
    }

    /**
     * A grid of n images of shape (c, h, w) stored NCHW in {@code values}; {@code shape} is
     * {@code [n, c, h, w]} or {@code [c, h, w]}.
     */
    public static BufferedImage grid(float[] values, long[] shape, int columns, int padding) {
        long[] s = nchw(shape);
        int n = (int) s[0];
        int c = (int) s[1];
        int h = (int) s[2];
        int w = (int) s[3];
        if (values.length != (long) n * c * h * w) {
            throw new IllegalArgumentException(values.length + " values do not fill shape " + Arrays.toString(shape));
        }
        if (columns < 1) {
            throw new IllegalArgumentException("columns must be at least 1, got " + columns);
        }
        if (padding < 0) {
            throw new IllegalArgumentException("padding must be non-negative, got " + padding);
        }
        int cols = Math.min(columns, Math.max(n, 1));
        int rows = Math.max(1, (n + cols - 1) / cols);
        int gw = cols * w + (cols + 1) * padding;
        int gh = rows * h + (rows + 1) * padding;
        BufferedImage img = new BufferedImage(gw, gh, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        WritableRaster r = img.getRaster();
        if (padding > 0) {
            int[] pad = new int[gw * r.getNumBands()];
            Arrays.fill(pad, PAD_VALUE);
            for (int y = 0; y < gh; y++) {
                r.setPixels(0, y, gw, 1, pad);
            }
        }
        for (int k = 0; k < n; k++) {
            int x0 = padding + (k % cols) * (w + padding);
            int y0 = padding + (k / cols) * (h + padding);
            paste(r, values, k, c, h, w, x0, y0);
        }
        return img;
    }

    /**
     * A grid with one column per image set: row r shows image r of each set, for the first {@code rows} images. Every
     * set holds NCHW images of {@code shape} = {n, c, h, w} (before/after strips of many images).
     */
    public static BufferedImage columns(List<float[]> sets, long[] shape, int rows, int padding) {
        int per = (int) (shape[1] * shape[2] * shape[3]);
        if (rows < 1 || rows > shape[0]) {
            throw new IllegalArgumentException("rows must be in [1, " + shape[0] + "], got " + rows);
        }
        float[] values = new float[rows * sets.size() * per];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < sets.size(); j++) {
                System.arraycopy(sets.get(j), r * per, values, (r * sets.size() + j) * per, per);
            }
        }
        return grid(values, new long[] {(long) rows * sets.size(), shape[1], shape[2], shape[3]}, sets.size(), padding);
    }

    /** Image {@code index} of an NCHW array, as a picture of its own. */
    public static BufferedImage image(float[] values, long[] shape, int index) {
        long[] s = nchw(shape);
        int c = (int) s[1];
        int h = (int) s[2];
        int w = (int) s[3];
        if (index < 0 || index >= s[0]) {
            throw new IndexOutOfBoundsException("image " + index + " of " + s[0]);
        }
        BufferedImage img = new BufferedImage(w, h, c == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
        paste(img.getRaster(), values, index, c, h, w, 0, 0);
        return img;
    }

    private static void paste(WritableRaster r, float[] v, int k, int c, int h, int w, int x0, int y0) {
        int plane = h * w;
        int base = k * c * plane;
        int[] px = new int[c];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < c; ch++) {
                    px[ch] = toByte(v[base + ch * plane + y * w + x]);
                }
                r.setPixel(x0 + x, y0 + y, px);
            }
        }
    }

    /** Nearest-neighbour upscaling by an integer factor (for tiny images such as 28×28). */
    public static BufferedImage scale(BufferedImage src, int factor) {
        if (factor < 1) {
            throw new IllegalArgumentException("scale factor must be at least 1, got " + factor);
        }
        if (factor == 1) {
            return src;
        }
        BufferedImage out = new BufferedImage(src.getWidth() * factor, src.getHeight() * factor, src.getType());
        WritableRaster in = src.getRaster();
        WritableRaster o = out.getRaster();
        int[] px = new int[in.getNumBands()];
        for (int y = 0; y < out.getHeight(); y++) {
            for (int x = 0; x < out.getWidth(); x++) {
                o.setPixel(x, y, in.getPixel(x / factor, y / factor, px));
            }
        }
        return out;
    }

    /** Writes a PNG atomically (temporary file, fsync, rename). */
    public static void writePng(Path file, BufferedImage image) throws IOException {
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(image, "png", out)) {
                throw new IOException("no PNG writer available for " + file);
            }
        });
    }

    /** Writes the grid of an NCHW array as one PNG. */
    public static void writeGrid(Path file, NDArray images, int columns, int padding) throws IOException {
        writePng(file, grid(images, columns, padding));
    }

    /**
     * Writes each image of an NCHW array to {@code dir/<prefix><index>.png}, the index zero-padded to
     * five digits and counted from {@code firstIndex} (e.g. {@code sample_00000.png}); returns the files.
     */
    public static List<Path> writeEach(Path dir, String prefix, float[] values, long[] shape, int firstIndex)
            throws IOException {
        long[] s = nchw(shape);
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        for (int k = 0; k < s[0]; k++) {
            Path f = dir.resolve(String.format("%s%05d.png", prefix, firstIndex + k));
            writePng(f, image(values, s, k));
            out.add(f);
        }
        return out;
    }

    /** {@link #writeEach(Path, String, float[], long[], int)} for an NDArray. */
    public static List<Path> writeEach(Path dir, String prefix, NDArray images, int firstIndex) throws IOException {
        return writeEach(dir, prefix, floats(images), images.getShape().getShape(), firstIndex);
    }

    private static float[] floats(NDArray a) {
        return a.getDataType() == DataType.FLOAT32 ? a.toFloatArray() : a.toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** Validates a [n, c, h, w] or [c, h, w] shape with c ∈ {1, 3} and returns it as [n, c, h, w]. */
    static long[] nchw(long[] shape) {
        long[] s = shape.length == 3 ? new long[] {1, shape[0], shape[1], shape[2]} : shape;
        if (s.length != 4) {
            throw new IllegalArgumentException("images must be NCHW (or CHW), got shape " + Arrays.toString(shape));
        }
        if (s[1] != 1 && s[1] != 3) {
            throw new IllegalArgumentException("images must have 1 (gray) or 3 (RGB) channels, got shape "
                    + Arrays.toString(shape));
        }
        if (s[2] < 1 || s[3] < 1 || s[0] < 0) {
            throw new IllegalArgumentException("empty image shape " + Arrays.toString(shape));
        }
        return s;
    }
}
