package org.diffusion4j.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.diffusion4j.data.Datasets;
import org.diffusion4j.data.IdxDataset;
import org.diffusion4j.data.ImageFolderDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.io.Npy;
import org.diffusion4j.eval.classifier.FashionClassifier;
import org.diffusion4j.diffusion.NoiseSource;

/**
 * The 8-bit gray 28×28 image sets that {@code eval} and {@code bench-samplers} score: generated
 * floats (quantised as a PNG would store them), a folder of PNGs, a {@code .npy}, a seeded subset
 * of a Fashion-MNIST split, or Gaussian noise. Every set goes through 8 bits, so a model scored
 * directly and its {@code sample --out-dir} PNGs scored with {@code --samples} give the same numbers.
 */
public final class EvalImages {

    /** Image side of the Fashion-MNIST metrics. */
    public static final int SIDE = FashionClassifier.IMAGE_SIZE;
    private static final int PIXELS = SIDE * SIDE;

    /**
     * n images of 1×28×28 bytes (NCHW), with class labels or null.
     *
     * @param description what the images are, in words
     */
    public record Images(String description, byte[] pixels, int[] labels) {
        public int size() {
            return pixels.length / PIXELS;
        }

        /** Float32 [n, 1, 28, 28] in [−1, 1] (byte/127.5 − 1), in {@code manager}. */
        public NDArray toModelRange(NDManager manager) {
            return toModelRange(manager, 0, size());
        }

        /** Images [from, to) as float32 in [−1, 1]. */
        public NDArray toModelRange(NDManager manager, int from, int to) {
            float[] v = new float[(to - from) * PIXELS];
            for (int i = 0; i < v.length; i++) {
                v[i] = (pixels[from * PIXELS + i] & 0xff) / 127.5f - 1f;
            }
            return manager.create(v, new Shape(to - from, 1, SIDE, SIDE));
        }

        /** The same images with these labels (e.g. the classes they were generated for). */
        public Images withLabels(int[] newLabels) {
            if (newLabels.length != size()) {
                throw new IllegalArgumentException(newLabels.length + " labels for " + size() + " images");
            }
            return new Images(description, pixels, newLabels.clone());
        }

        /** The first n images. */
        public Images head(int n) {
            return new Images(description, Arrays.copyOf(pixels, n * PIXELS), labels == null ? null : Arrays.copyOf(labels, n));
        }
    }

    private EvalImages() {}

    /** Model-range floats [n, 1, 28, 28] as the bytes of their PNGs: round((clip(x, −1, 1) + 1) · 127.5). */
    public static Images fromFloats(float[] values, String description) {
        if (values.length % PIXELS != 0) {
            throw new IllegalArgumentException(values.length + " values are not whole 1x28x28 images");
        }
        byte[] b = new byte[values.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) ImageGrid.toByte(values[i]);
        }
        return new Images(description, b, null);
    }

    /** n Gaussian-noise images: N(0, I) draw i of {@code NoiseSource.seeded(seed)}, clipped to [−1, 1] and quantised. */
    public static Images noise(int n, long seed, NDManager manager) {
        NoiseSource source = NoiseSource.seeded(seed);
        float[] all = new float[n * PIXELS];
        for (int i = 0; i < n; i++) {
            try (NDManager sub = manager.newSubManager()) {
                System.arraycopy(source.normal(sub, new Shape(1, 1, SIDE, SIDE), i).toFloatArray(), 0, all, i * PIXELS, PIXELS);
            }
        }
        return fromFloats(all, n + " Gaussian-noise images N(0, I) clipped to [-1, 1] (seed " + seed + ")");
    }

    /**
     * n images of a Fashion-MNIST split, chosen by a permutation seeded with {@code seed} (all of
     * them, in that order, when n is the split's size), with their labels.
     */
    public static Images fashionMnist(Split split, int n, long seed) throws IOException {
        IdxDataset ds = Datasets.open("fashion-mnist", split);
        if (n > ds.size()) {
            throw new IllegalArgumentException("asked for " + n + " Fashion-MNIST " + split + " images but the split has " + ds.size());
        }
        int[] order = permutation(ds.size(), seed);
        byte[] src = ds.pixels();
        byte[] out = new byte[n * PIXELS];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            System.arraycopy(src, order[i] * PIXELS, out, i * PIXELS, PIXELS);
            labels[i] = ds.label(order[i]);
        }
        return new Images(n + " Fashion-MNIST " + split + " images (seeded subset, seed " + seed + ")", out, labels);
    }

    /** A Fisher–Yates permutation of 0..n−1 from {@code SplittableRandom(seed)}. */
    public static int[] permutation(int n, long seed) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    /**
     * Images from anywhere: a folder of PNG/JPEG files (name order; class sub-folders allowed), or a
     * {@code .npy} of uint8 pixels [N, 28, 28], [N, 1, 28, 28] or [N, 28, 28, 1], or of float32/64
     * model-range values in [−1, 1] with those shapes (as {@code sample --out-raw} writes).
     */
    public static Images read(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            ImageFolderDataset ds = ImageFolderDataset.open(path, 1);
            if (ds.height() != SIDE || ds.width() != SIDE) {
                throw new IOException(path + ": the images are " + ds.width() + "x" + ds.height()
                        + " but the Fashion-MNIST metrics need 28x28 gray images; resize them first");
            }
            return new Images(ds.size() + " images from the folder " + path, ds.pixels(), null);
        }
        if (!Files.isRegularFile(path)) {
            throw new NoSuchFileException(path.toString(), null, "no such image folder or .npy file");
        }
        if (!path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
            throw new IOException(path + ": --samples takes a folder of PNG files or a .npy file");
        }
        byte[] bytes = Files.readAllBytes(path);
        String descr = descr(bytes);
        if (descr != null && descr.matches("[|<]u1")) {
            return uint8Npy(path, bytes);
        }
        Npy npy = Npy.read(path);
        long[] shape = checkShape(path, npy.shape());
        float[] v = npy.floats();
        float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        if (!(min >= -2 && max <= 2)) {
            throw new IOException(path + ": float values run from " + min + " to " + max + ", but float images are read as "
                    + "model-range values in [-1, 1] (pixel/127.5 - 1); save 8-bit pixels as np.uint8 instead");
        }
        return fromFloats(v, shape[0] + " images from " + path + " (" + npy.dtype() + ", read as values in [-1, 1]"
                + (min >= 0 ? "; note: all values are >= 0, were they in [0, 1]? then rescale as 2x - 1" : "") + ")");
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([0-9,\\s]*)\\)");

    /** The header text of a version 1.0–3.0 .npy, or null when it is not one. */
    private static String header(byte[] b) {
        if (b.length < 12 || (b[0] & 0xff) != 0x93 || b[1] != 'N' || b[2] != 'U' || b[3] != 'M' || b[4] != 'P' || b[5] != 'Y') {
            return null;
        }
        int major = b[6];
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        int prefix = major == 1 ? 10 : 12;
        long len = major == 1 ? bb.getShort(8) & 0xffff : bb.getInt(8) & 0xffffffffL;
        if (major < 1 || major > 3 || len > Npy.MAX_HEADER_BYTES || prefix + len > b.length) {
            return null;
        }
        return new String(b, 0, (int) (prefix + len), StandardCharsets.ISO_8859_1);
    }

    private static String descr(byte[] b) {
        String h = header(b);
        if (h == null) {
            return null;
        }
        Matcher m = DESCR.matcher(h);
        return m.find() ? m.group(1) : null;
    }

    /** A uint8 .npy (NumPy's {@code '|u1'}), which {@link Npy} does not read. */
    private static Images uint8Npy(Path file, byte[] bytes) throws IOException {
        String h = header(bytes);
        Matcher f = FORTRAN.matcher(h);
        Matcher s = SHAPE.matcher(h);
        if (!f.find() || !s.find()) {
            throw new IOException(file + ": .npy header lacks 'fortran_order' or 'shape'");
        }
        if (f.group(1).equals("True")) {
            throw new IOException(file + ": is in Fortran order; save it with np.ascontiguousarray(a)");
        }
        String[] dims = s.group(1).split(",");
        long[] shape = Arrays.stream(dims).map(String::trim).filter(d -> !d.isEmpty()).mapToLong(Long::parseLong).toArray();
        checkShape(file, shape);
        int dataStart = h.length();
        long expected = shape[0] * PIXELS;
        if (bytes.length - dataStart != expected) {
            throw new IOException(file + ": shape " + Arrays.toString(shape) + " of uint8 needs " + expected
                    + " data bytes but the file holds " + (bytes.length - dataStart));
        }
        return new Images(shape[0] + " images from " + file + " (uint8)", Arrays.copyOfRange(bytes, dataStart, bytes.length), null);
    }

    private static long[] checkShape(Path file, long[] s) throws IOException {
        boolean ok = (s.length == 3 && s[1] == SIDE && s[2] == SIDE)
                || (s.length == 4 && s[1] == 1 && s[2] == SIDE && s[3] == SIDE)
                || (s.length == 4 && s[1] == SIDE && s[2] == SIDE && s[3] == 1);
        if (!ok || s[0] < 1 || s[0] > Integer.MAX_VALUE / PIXELS) {
            throw new IOException(file + ": shape " + Arrays.toString(s) + " is not gray 28x28 images; "
                    + "expected [N, 28, 28], [N, 1, 28, 28] or [N, 28, 28, 1]");
        }
        return s;
    }
}
