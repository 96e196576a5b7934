package org.diffusion4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * One IDX file (the MNIST / Fashion-MNIST format), read strictly into memory.
 *
 * <p>Layout (big-endian): two zero bytes, an element type code, the rank {@code r}, then {@code r}
 * int32 dimensions, then the elements in row-major order. Only type {@code 0x08} (unsigned byte) is
 * supported; other types are refused by name. The file may be gzip-compressed: this is detected by
 * its first two bytes ({@code 1f 8b}), never by its name.
 *
 * <p>Checks, each before anything is allocated for the data: the magic, the type, the rank (1 to 4),
 * every dimension {@code > 0}, the element count at most {@code maxElements}, and that header plus
 * data is exactly the file length (for gzip: the decompressed length). Decompression is bounded: at
 * most the declared data size plus one byte is ever inflated, so a gzip bomb costs nothing, and the
 * in-memory array grows with the bytes actually present, so a tiny file that declares a huge size
 * is refused as truncated without allocating that size. A gzip stream may inflate to at most
 * {@link #MAX_GZIP_RATIO} times the compressed bytes read (plus 1 MiB), so a small file declaring
 * a huge size and inflating zeros to match is refused, not buffered. Bytes after the end of the gzip member are
 * not examined (Java's {@link GZIPInputStream} ignores them).
 */
public final class IdxFile {
    /** Largest element count accepted by default: the largest Java byte array. */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;
    /** IDX element type code of unsigned bytes, the only supported type. */
    public static final int UNSIGNED_BYTE = 0x08;

    /** Largest ratio of inflated to compressed bytes accepted from a gzip stream (see {@link RatioGuard}). */
    public static final int MAX_GZIP_RATIO = 100;
    private static final long GZIP_RATIO_SLACK = 1 << 20;

    private static final int INITIAL_CHUNK = 1 << 20;

    private final String name;
    private final int[] dims;
    private final byte[] data;

    private IdxFile(String name, int[] dims, byte[] data) {
        this.name = name;
        this.dims = dims;
        this.data = data;
    }

    /** Reads {@code file} (raw or gzip) with the default element cap {@link #MAX_ELEMENTS}. */
    public static IdxFile read(Path file) throws IOException {
        return read(file, MAX_ELEMENTS);
    }

    /** Reads {@code file} (raw or gzip), refusing more than {@code maxElements} elements. */
    public static IdxFile read(Path file, long maxElements) throws IOException {
        String name = file.toString();
        if (!Files.isRegularFile(file)) {
            throw new DatasetException(name + ": no such file", new NoSuchFileException(name));
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, name, Files.size(file), maxElements);
        }
    }

    /**
     * Reads an IDX stream. {@code rawLength} is the length of {@code in} in bytes (used for the exact
     * length check of an uncompressed stream). Package-private so tests can watch how many
     * compressed bytes a gzip bomb consumes.
     */
    static IdxFile read(InputStream in, String name, long rawLength, long maxElements) throws IOException {
        maxElements = Math.min(maxElements, MAX_ELEMENTS);
        BufferedInputStream buffered = new BufferedInputStream(in, 8192);
        buffered.mark(2);
        int b0 = buffered.read();
        int b1 = buffered.read();
        buffered.reset();
        boolean gzip = b0 == 0x1f && b1 == 0x8b;
        String where = gzip ? "the decompressed stream" : "the file";
        RatioGuard guard = null;
        try {
            // the GZIPInputStream constructor already reads the gzip header, so it may throw too
            guard = gzip ? new RatioGuard(buffered, name) : null;
            return readBody(gzip ? guard : buffered, name, gzip ? -1 : rawLength, where, maxElements);
        } catch (ZipException | EOFException e) {
            String why = e.getMessage() != null ? e.getMessage() : "the stream ends early"; // EOFException has none
            throw new DatasetException(name + ": corrupt or truncated gzip stream: " + why, e);
        } finally {
            if (guard != null) {
                guard.close(); // frees the Inflater's native memory now, not at GC
            }
        }
    }

    /**
     * Inflates a gzip stream but refuses to produce more than {@value #MAX_GZIP_RATIO} times the
     * compressed bytes consumed so far (plus {@value #GZIP_RATIO_SLACK} bytes): a small file whose
     * header declares a huge size and that inflates a run of zeros to match would otherwise be
     * buffered in full. Real IDX data compresses about 2-5 times; deflate can reach ~1032.
     */
    private static final class RatioGuard extends InputStream {
        private final GZIPInputStream inflated;
        private final String name;
        private long consumed;
        private long produced;

        RatioGuard(InputStream compressed, String name) throws IOException {
            this.name = name;
            InputStream counting = new java.io.FilterInputStream(compressed) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    consumed += b < 0 ? 0 : 1;
                    return b;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    int n = super.read(b, off, len);
                    consumed += Math.max(n, 0);
                    return n;
                }
            };
            this.inflated = new GZIPInputStream(counting, 8192);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = inflated.read(b, off, len);
            produced += Math.max(n, 0);
            if (produced > GZIP_RATIO_SLACK + MAX_GZIP_RATIO * consumed) {
                throw new DatasetException(name + ": gzip bomb? " + consumed + " compressed bytes inflate to more than "
                        + (produced - 1) + " (over " + MAX_GZIP_RATIO + " times); refused before buffering it. If the "
                        + "file is genuine, decompress it (gunzip) and read the raw IDX file instead");
            }
            return n;
        }

        @Override
        public void close() throws IOException {
            inflated.close();
        }
    }

    private static IdxFile readBody(InputStream in, String name, long rawLength, String where, long maxElements)
            throws IOException {
        byte[] magic = new byte[4];
        int got = readUpTo(in, magic, 0, 4);
        if (got < 4) {
            throw new DatasetException(name + ": truncated: " + where + " holds " + got
                    + " bytes, fewer than the 4-byte IDX magic number");
        }
        if (magic[0] != 0 || magic[1] != 0) {
            throw new DatasetException(String.format("%s: bad magic number 0x%02X%02X%02X%02X: an IDX file starts "
                    + "with two zero bytes, the element type and the rank (e.g. 0x00000803 for unsigned-byte images)",
                    name, magic[0], magic[1], magic[2], magic[3]));
        }
        int type = magic[2] & 0xff;
        if (type != UNSIGNED_BYTE) {
            throw new DatasetException(String.format("%s: element type 0x%02X (%s) is not supported; only 0x08 "
                    + "(unsigned byte) is", name, type, typeName(type)));
        }
        int rank = magic[3] & 0xff;
        if (rank < 1 || rank > 4) {
            throw new DatasetException(name + ": rank " + rank + " is not supported; it must be 1 to 4");
        }
        byte[] dimBytes = new byte[4 * rank];
        got = readUpTo(in, dimBytes, 0, dimBytes.length);
        if (got < dimBytes.length) {
            throw new DatasetException(name + ": truncated: the header declares rank " + rank + " but " + where
                    + " ends inside the dimensions");
        }
        int[] dims = new int[rank];
        for (int i = 0; i < rank; i++) {
            int d = ((dimBytes[4 * i] & 0xff) << 24) | ((dimBytes[4 * i + 1] & 0xff) << 16)
                    | ((dimBytes[4 * i + 2] & 0xff) << 8) | (dimBytes[4 * i + 3] & 0xff);
            if (d <= 0) {
                throw new DatasetException(name + ": dimension " + i + " of " + rank + " is " + d
                        + "; every dimension must be > 0");
            }
            dims[i] = d;
        }
        BigInteger exact = BigInteger.ONE;
        for (int d : dims) {
            exact = exact.multiply(BigInteger.valueOf(d));
        }
        if (exact.compareTo(BigInteger.valueOf(maxElements)) > 0) {
            throw new DatasetException(name + ": header declares " + shapeString(dims, rank) + " = " + exact
                    + " elements, more than the limit of " + maxElements);
        }
        long count = exact.longValueExact();
        long headerBytes = 4L + 4L * rank;
        String declared = "header declares " + shapeString(dims, rank) + " = " + count + " data bytes";
        if (rawLength >= 0 && rawLength != headerBytes + count) {
            long holds = rawLength - headerBytes;
            throw new DatasetException(name + ": " + (holds < count ? "truncated" : "trailing bytes") + ": "
                    + declared + " but the file holds " + holds);
        }
        byte[] data = readData(in, (int) count, name, declared, where);
        if (in.read() != -1) {
            throw new DatasetException(name + ": trailing bytes: " + declared + " but " + where
                    + " holds more (reading stopped one byte past the declared size)");
        }
        return new IdxFile(name, dims, data);
    }

    /** Reads exactly {@code count} bytes, growing the array only as bytes actually arrive. */
    private static byte[] readData(InputStream in, int count, String name, String declared, String where)
            throws IOException {
        byte[] data = new byte[Math.min(count, INITIAL_CHUNK)];
        int filled = 0;
        while (filled < count) {
            if (filled == data.length) {
                data = Arrays.copyOf(data, (int) Math.min(count, 2L * data.length));
            }
            int n = in.read(data, filled, data.length - filled);
            if (n < 0) {
                throw new DatasetException(name + ": truncated: " + declared + " but " + where + " holds " + filled);
            }
            filled += n;
        }
        return data;
    }

    private static int readUpTo(InputStream in, byte[] buf, int off, int len) throws IOException {
        int total = 0;
        while (total < len) {
            int n = in.read(buf, off + total, len - total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    private static String typeName(int type) {
        switch (type) {
            case 0x08: return "unsigned byte";
            case 0x09: return "signed byte";
            case 0x0B: return "int16";
            case 0x0C: return "int32";
            case 0x0D: return "float32";
            case 0x0E: return "float64";
            default: return "not an IDX type";
        }
    }

    static String shapeString(int[] dims, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : "x").append(dims[i]);
        }
        return sb.toString();
    }

    /** The file name this was read from (used in error messages). */
    public String name() {
        return name;
    }

    public int rank() {
        return dims.length;
    }

    /** A copy of the dimensions, outermost first. */
    public int[] dims() {
        return dims.clone();
    }

    public int dim(int axis) {
        return dims[axis];
    }

    /** Number of elements, the product of the dimensions. */
    public int elementCount() {
        return data.length;
    }

    /** The elements as unsigned bytes in row-major order. Shared, not copied: do not modify. */
    public byte[] data() {
        return data;
    }

    @Override
    public String toString() {
        return name + " [" + shapeString(dims, dims.length) + " uint8]";
    }
}
