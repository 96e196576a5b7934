package org.diffusion4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A strict reader and writer of NumPy's {@code .npy} format (versions 1.0, 2.0 and 3.0) for the
 * element types this project exchanges: little-endian float32 ({@code <f4}), float64 ({@code <f8})
 * and int64 ({@code <i8}), in C (row-major) order.
 *
 * <p>The file is the magic {@code \x93NUMPY}, a major and minor version byte, the header length
 * (2 bytes little-endian in 1.0, 4 bytes in 2.0/3.0), then a Python dict literal
 * {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }} padded with spaces and ended by
 * a newline, then the raw data. The reader checks every part: magic, version, header syntax, exactly
 * the three keys, a supported descr, C order, non-negative dimensions, and that the data length is
 * exactly shape × item size (no truncation, no trailing bytes). Each violation names the file and the
 * fix. The writer emits version 1.0 with the header padded to a multiple of 64 bytes, as NumPy does,
 * and replaces the target atomically.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int ALIGN = 64;
    /** The largest header read, as NumPy's own reader ({@code max_header_size}) allows by default. */
    public static final int MAX_HEADER_BYTES = 10_000;
    private static final String SUPPORTED = "'<f4' (float32), '<f8' (float64) or '<i8' (int64)";

    private final Path file;
    private final DType dtype;
    private final long[] shape;
    private final ByteBuffer data;

    private Npy(Path file, DType dtype, long[] shape, ByteBuffer data) {
        this.file = file;
        this.dtype = dtype;
        this.shape = shape;
        this.data = data;
    }

    /** Reads and validates a {@code .npy} file. */
    public static Npy read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such .npy file");
        }
        long size = Files.size(file);
        if (size > Integer.MAX_VALUE - 8) {
            throw new NpyException(file, "is " + size + " bytes; arrays over 2 GiB are not supported");
        }
        return parse(file, Files.readAllBytes(file));
    }

    /** Reads a {@code .npy} file into an NDArray owned by {@code manager}. */
    public static NDArray read(Path file, NDManager manager) throws IOException {
        return read(file).toNDArray(manager);
    }

    static Npy parse(Path file, byte[] bytes) throws NpyException {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new NpyException(file, "not a .npy file (it does not start with \\x93NUMPY)");
        }
        int major = bytes[6] & 0xff;
        int minor = bytes[7] & 0xff;
        if (major < 1 || major > 3 || minor != 0) {
            throw new NpyException(file, "unsupported .npy version " + major + "." + minor + " (1.0, 2.0 and 3.0 are read)");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int prefix = major == 1 ? 10 : 12;
        if (bytes.length < prefix) {
            throw new NpyException(file, "truncated before the header length");
        }
        long headerLen = major == 1 ? b.getShort(8) & 0xffff : b.getInt(8) & 0xffffffffL;
        if (headerLen > MAX_HEADER_BYTES) {
            throw new NpyException(file, "header length " + headerLen + " exceeds the limit of " + MAX_HEADER_BYTES
                    + " bytes (NumPy's own default)");
        }
        if (prefix + headerLen > bytes.length) {
            throw new NpyException(file, "header length " + headerLen + " runs past the end of the file ("
                    + bytes.length + " bytes): truncated?");
        }
        String header = new String(bytes, prefix, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        if (!header.endsWith("\n")) {
            throw new NpyException(file, "header does not end with a newline");
        }
        Map<String, Object> dict = new HeaderParser(file, header.strip()).dict();
        for (String key : List.of("descr", "fortran_order", "shape")) {
            if (!dict.containsKey(key)) {
                throw new NpyException(file, "header lacks the key '" + key + "'");
            }
        }
        if (dict.size() != 3) {
            List<String> extra = new ArrayList<>(dict.keySet());
            extra.removeAll(List.of("descr", "fortran_order", "shape"));
            throw new NpyException(file, "header has unexpected keys " + shown(extra.toString()));
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new NpyException(file, "'descr' must be a string such as '<f4', got " + kind(dict.get("descr")));
        }
        DType dtype = dtypeOf(file, descr);
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new NpyException(file, "'fortran_order' must be True or False, got " + kind(dict.get("fortran_order")));
        }
        if (fortran) {
            throw new NpyException(file, "is in Fortran (column-major) order; save it with np.ascontiguousarray(a)");
        }
        if (!(dict.get("shape") instanceof long[] shape)) {
            throw new NpyException(file, "'shape' must be a tuple of integers, got " + kind(dict.get("shape")));
        }
        long count = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new NpyException(file, "negative dimension in shape " + Arrays.toString(shape));
            }
            count = Math.multiplyExact(count, d);
        }
        long expected = Math.multiplyExact(count, dtype.size());
        long have = bytes.length - prefix - headerLen;
        if (have != expected) {
            throw new NpyException(file, "shape " + Arrays.toString(shape) + " of " + descr + " needs " + expected
                    + " data bytes but the file holds " + have + (have < expected ? ": truncated?" : " (trailing bytes)"));
        }
        ByteBuffer data = ByteBuffer.wrap(bytes, (int) (prefix + headerLen), (int) expected).slice()
                .order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
        return new Npy(file, dtype, shape, data);
    }

    /** Control characters as \\uXXXX, so a hostile header cannot drive the terminal an error is printed on. */
    static String printable(String text) {
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** A header value as an error message shows it: printable, at most 60 characters. */
    private static String shown(String text) {
        return printable(text.length() > 60 ? text.substring(0, 60) + "…" : text);
    }

    private static String kind(Object value) {
        if (value instanceof String str) {
            return "the string '" + shown(str) + "'";
        }
        if (value instanceof long[] tuple) {
            return "the tuple " + shown(Arrays.toString(tuple));
        }
        return String.valueOf(value);
    }

    private static DType dtypeOf(Path file, String descr) throws NpyException {
        switch (descr) {
            case "<f4":
                return DType.F32;
            case "<f8":
                return DType.F64;
            case "<i8":
                return DType.I64;
            default:
                descr = shown(descr);
                if (descr.startsWith(">")) {
                    throw new NpyException(file, "is big-endian ('" + descr + "'); save it little-endian, e.g. a.astype('<"
                            + descr.substring(1) + "')");
                }
                throw new NpyException(file, "dtype '" + descr + "' is not supported; use " + SUPPORTED
                        + ", e.g. a.astype(np.float32)");
        }
    }

    /** The file this was read from (null when built in memory). */
    public Path file() {
        return file;
    }

    /** The element type: {@link DType#F32}, {@link DType#F64} or {@link DType#I64}. */
    public DType dtype() {
        return dtype;
    }

    /** The shape (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** The number of elements. */
    public long size() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** The values as float32 (float64 is narrowed; int64 is refused). */
    public float[] floats() {
        float[] out = new float[(int) size()];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> b.asFloatBuffer().get(out);
            case F64 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = (float) b.getDouble(i * 8);
                }
            }
            default -> throw new IllegalArgumentException(where() + "holds int64, not floating-point values");
        }
        return out;
    }

    /** The values as float64 (float32 is widened; int64 is refused). */
    public double[] doubles() {
        double[] out = new double[(int) size()];
        ByteBuffer b = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F64 -> b.asDoubleBuffer().get(out);
            case F32 -> {
                for (int i = 0; i < out.length; i++) {
                    out[i] = b.getFloat(i * 4);
                }
            }
            default -> throw new IllegalArgumentException(where() + "holds int64, not floating-point values");
        }
        return out;
    }

    /** The values of an int64 array. */
    public long[] longs() {
        if (dtype != DType.I64) {
            throw new IllegalArgumentException(where() + "holds " + dtype + ", not int64 values");
        }
        long[] out = new long[(int) size()];
        data.duplicate().order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    /** A copy of the array as an NDArray of the same type, owned by {@code manager}. */
    public NDArray toNDArray(NDManager manager) {
        ByteBuffer direct = ByteBuffer.allocateDirect(data.remaining()).order(ByteOrder.nativeOrder());
        direct.put(data.duplicate()).flip();
        return manager.create(direct, new Shape(shape), dtype.djl());
    }

    private String where() {
        return file == null ? "array " : file + ": ";
    }

    // ---------------------------------------------------------------- writing

    /** Writes an NDArray of type float32, float64 or int64, atomically. */
    public static void write(Path file, NDArray array) throws IOException {
        DataType t = array.getDataType();
        long[] shape = array.getShape().getShape();
        switch (t) {
            case FLOAT32 -> write(file, array.toFloatArray(), shape);
            case FLOAT64 -> write(file, array.toDoubleArray(), shape);
            case INT64 -> write(file, array.toLongArray(), shape);
            default -> throw new IllegalArgumentException("cannot write a " + t + " array to " + file
                    + "; convert it to float32, float64 or int64 first");
        }
    }

    /** Writes float32 values of the given shape, atomically. */
    public static void write(Path file, float[] values, long... shape) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        write(file, "<f4", shape, values.length, b.array());
    }

    /** Writes float64 values of the given shape, atomically. */
    public static void write(Path file, double[] values, long... shape) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(values);
        write(file, "<f8", shape, values.length, b.array());
    }

    /** Writes int64 values of the given shape, atomically. */
    public static void write(Path file, long[] values, long... shape) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        write(file, "<i8", shape, values.length, b.array());
    }

    private static void write(Path file, String descr, long[] shape, int length, byte[] data) throws IOException {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n *= d;
        }
        if (n != length) {
            throw new IllegalArgumentException(length + " values do not fill shape " + Arrays.toString(shape));
        }
        byte[] header = header(descr, shape);
        AtomicFiles.write(file, out -> {
            out.write(header);
            out.write(data);
        });
    }

    /** The magic, version 1.0, length and the dict, padded with spaces to a multiple of 64 bytes. */
    static byte[] header(String descr, long[] shape) {
        StringBuilder s = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? ", " : "").append(shape[i]);
        }
        s.append(shape.length == 1 ? ",), }" : "), }");
        int unpadded = 10 + s.length() + 1;
        int total = (unpadded + ALIGN - 1) / ALIGN * ALIGN;
        s.append(" ".repeat(total - unpadded)).append('\n');
        byte[] dict = s.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + dict.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) dict.length).put(dict);
        return b.array();
    }

    /**
     * A recursive-descent parser for the subset of Python literals NumPy writes in the header: a dict
     * of string keys to strings, {@code True}/{@code False} and tuples of integers.
     */
    private static final class HeaderParser {
        private final Path file;
        private final String s;
        private int pos;

        HeaderParser(Path file, String s) {
            this.file = file;
            this.s = s;
        }

        Map<String, Object> dict() throws NpyException {
            expect('{');
            Map<String, Object> out = new LinkedHashMap<>();
            skipSpace();
            while (peek() != '}') {
                String key = string();
                expect(':');
                Object value = value();
                if (out.put(key, value) != null) {
                    throw fail("duplicate key '" + shown(key) + "'");
                }
                skipSpace();
                if (peek() == ',') {
                    pos++;
                    skipSpace();
                } else if (peek() != '}') {
                    throw fail("expected ',' or '}'");
                }
            }
            pos++;
            skipSpace();
            if (pos != s.length()) {
                throw fail("unexpected text after the dict");
            }
            return out;
        }

        private Object value() throws NpyException {
            skipSpace();
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(') {
                return tuple();
            }
            if (s.startsWith("True", pos)) {
                pos += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", pos)) {
                pos += 5;
                return Boolean.FALSE;
            }
            throw fail("expected a string, a tuple, True or False");
        }

        private long[] tuple() throws NpyException {
            expect('(');
            List<Long> dims = new ArrayList<>();
            boolean trailingComma = false;
            skipSpace();
            while (peek() != ')') {
                int start = pos;
                while (pos < s.length() && Character.isDigit(s.charAt(pos))) {
                    pos++;
                }
                if (start == pos) {
                    throw fail("expected a non-negative integer dimension");
                }
                try {
                    dims.add(Long.parseLong(s.substring(start, pos)));
                } catch (NumberFormatException e) {
                    throw fail("dimension " + s.substring(start, pos) + " is too large");
                }
                skipSpace();
                trailingComma = peek() == ',';
                if (trailingComma) {
                    pos++;
                    skipSpace();
                } else if (peek() != ')') {
                    throw fail("expected ',' or ')' in the shape");
                }
            }
            if (dims.size() == 1 && !trailingComma) {
                throw fail("a one-dimensional shape needs a trailing comma, e.g. (5,)");
            }
            pos++;
            return dims.stream().mapToLong(Long::longValue).toArray();
        }

        private String string() throws NpyException {
            skipSpace();
            char q = peek();
            if (q != '\'' && q != '"') {
                throw fail("expected a quoted string");
            }
            int end = s.indexOf(q, pos + 1);
            if (end < 0) {
                throw fail("unterminated string");
            }
            String v = s.substring(pos + 1, end);
            pos = end + 1;
            return v;
        }

        private void expect(char c) throws NpyException {
            skipSpace();
            if (peek() != c) {
                throw fail("expected '" + c + "'");
            }
            pos++;
        }

        private char peek() throws NpyException {
            if (pos >= s.length()) {
                throw fail("header ends early");
            }
            return s.charAt(pos);
        }

        private void skipSpace() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private NpyException fail(String problem) {
            int from = Math.max(0, pos - 40);
            int to = Math.min(s.length(), pos + 40);
            String near = (from > 0 ? "…" : "") + s.substring(from, to) + (to < s.length() ? "…" : "");
            return new NpyException(file, "malformed header at character " + pos + ": " + problem + " near "
                    + printable(near));
        }
    }
}
