package org.diffusion4j.eval;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Minimal reader of (optionally gzipped) IDX files, enough for the classifier trainer and the
 * reference statistics. Stand-in until {@code org.diffusion4j.data} provides the project's reader;
 * kept package-private so it can be swapped without touching callers.
 */
final class IdxFiles {
    private static final int IMAGES_MAGIC = 0x00000803;
    private static final int LABELS_MAGIC = 0x00000801;

    private IdxFiles() {}

    /** Default location of Fashion-MNIST on the project machines. */
    static final Path FASHION_MNIST_DIR = Path.of("/usr/share/datasets/fashion-mnist");

    /** Images as float32 pixels scaled to [-1, 1], row-major (N, 28, 28) flattened; count in {@code [0]}. */
    static float[] images(Path file, int[] countOut) throws IOException {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            if (magic != IMAGES_MAGIC) {
                throw new IOException(file + ": bad IDX magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000803 (unsigned-byte images, 3 dims); is this an images file?");
            }
            int n = in.readInt(), rows = in.readInt(), cols = in.readInt();
            if (n <= 0 || rows <= 0 || cols <= 0 || (long) n * rows * cols > Integer.MAX_VALUE) {
                throw new IOException(file + ": implausible IDX dims " + n + "x" + rows + "x" + cols);
            }
            byte[] raw = new byte[n * rows * cols];
            readFully(in, raw, file);
            float[] out = new float[raw.length];
            for (int i = 0; i < raw.length; i++) {
                out[i] = (raw[i] & 0xff) / 127.5f - 1f;
            }
            countOut[0] = n;
            countOut[1] = rows;
            countOut[2] = cols;
            return out;
        }
    }

    static int[] labels(Path file) throws IOException {
        try (DataInputStream in = open(file)) {
            int magic = in.readInt();
            if (magic != LABELS_MAGIC) {
                throw new IOException(file + ": bad IDX magic 0x" + Integer.toHexString(magic)
                        + ", expected 0x00000801 (unsigned-byte labels, 1 dim); is this a labels file?");
            }
            int n = in.readInt();
            if (n <= 0) {
                throw new IOException(file + ": implausible IDX label count " + n);
            }
            byte[] raw = new byte[n];
            readFully(in, raw, file);
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = raw[i] & 0xff;
            }
            return out;
        }
    }

    private static void readFully(DataInputStream in, byte[] buf, Path file) throws IOException {
        try {
            in.readFully(buf);
        } catch (EOFException e) {
            throw new IOException(file + ": truncated IDX file, header promises " + buf.length
                    + " payload bytes; re-download it", e);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": IDX file not found; Fashion-MNIST is expected under "
                    + FASHION_MNIST_DIR + " (or pass --data DIR)");
        }
        InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
        if (file.getFileName().toString().endsWith(".gz")) {
            raw = new GZIPInputStream(raw, 1 << 16);
        }
        return new DataInputStream(raw);
    }
}
