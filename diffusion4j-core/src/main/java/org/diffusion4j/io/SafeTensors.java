package org.diffusion4j.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.MalformedJsonException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A strict reader and writer of the <a href="https://github.com/huggingface/safetensors">safetensors</a>
 * format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON, then the raw
 * little-endian tensor bytes.
 *
 * <p>Every rule of the format is enforced before any tensor byte is trusted: the header length lies
 * within the file and is at most {@value #MAX_HEADER_BYTES} bytes; the header is UTF-8 JSON; each
 * dtype is known; shape × dtype size equals the byte range; the ranges are contiguous,
 * non-overlapping and cover the data buffer exactly; names are unique; {@code __metadata__} maps
 * strings to strings. Each violation is a distinct {@link SafeTensorsException}.
 */
public final class SafeTensors {

    /** The largest header accepted, as in the reference implementation. */
    public static final long MAX_HEADER_BYTES = 100L * 1000 * 1000;

    private static final String METADATA = "__metadata__";

    /** One tensor's entry in the header: dtype, shape and byte range within the data buffer. */
    public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
        /** The number of elements. */
        public long size() {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** A tensor to write: name, dtype, shape and its little-endian bytes. */
    public record Tensor(String name, DType dtype, long[] shape, ByteBuffer data) {
        /** Wraps float32 values. */
        public static Tensor of(String name, float[] values, long... shape) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(values);
            return new Tensor(name, DType.F32, shape, b);
        }

        /** Wraps float64 values. */
        public static Tensor of(String name, double[] values, long... shape) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asDoubleBuffer().put(values);
            return new Tensor(name, DType.F64, shape, b);
        }

        /** Wraps int64 values. */
        public static Tensor of(String name, long[] values, long... shape) {
            ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(values);
            return new Tensor(name, DType.I64, shape, b);
        }

        /** Copies an NDArray's values (any dtype safetensors knows). */
        public static Tensor of(String name, NDArray array) {
            ByteBuffer b = array.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            return new Tensor(name, DType.of(array.getDataType()), array.getShape().getShape(), b);
        }
    }

    private final Path file;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;
    private final ByteBuffer data;

    private SafeTensors(Path file, Map<String, TensorInfo> tensors, Map<String, String> metadata, ByteBuffer data) {
        this.file = file;
        this.tensors = tensors;
        this.metadata = metadata;
        this.data = data;
    }

    /**
     * Reads and validates a whole safetensors file.
     *
     * @throws SafeTensorsException when the file breaks a rule of the format (the message says which)
     * @throws IOException when the file cannot be read
     */
    public static SafeTensors read(Path file) throws IOException {
        WeightFiles.refusePickleByName(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            if (fileSize < 8) {
                WeightFiles.refusePickleByContent(file, readPrefix(ch));
                throw new SafeTensorsException(file, "file is " + fileSize + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen < 0 || headerLen > MAX_HEADER_BYTES || 8 + headerLen > fileSize) {
                // Only a header length that is already invalid is sniffed for pickle: a valid length
                // such as 640 starts with the same bytes (0x80 0x02) as pickle protocol 2.
                WeightFiles.refusePickleByContent(file, lenBuf.array());
            }
            if (headerLen < 0 || headerLen > MAX_HEADER_BYTES) {
                throw new SafeTensorsException(file, "header length " + Long.toUnsignedString(headerLen)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes (not a safetensors file?)");
            }
            if (8 + headerLen > fileSize) {
                throw new SafeTensorsException(file, "header length " + headerLen
                        + " runs past the end of the file (" + fileSize + " bytes): truncated?");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) headerLen);
            readFully(ch, headerBuf, 8);
            String header = decodeUtf8(file, headerBuf);
            Map<String, String> metadata = new TreeMap<>();
            Map<String, TensorInfo> infos = parseHeader(file, header, metadata);
            long dataLen = fileSize - 8 - headerLen;
            checkRanges(file, infos, dataLen);
            if (dataLen > Integer.MAX_VALUE - 8) {
                throw new SafeTensorsException(file, "data buffer of " + dataLen + " bytes is above the 2 GiB this reader supports");
            }
            ByteBuffer data = ByteBuffer.allocateDirect((int) dataLen).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, data, 8 + headerLen);
            return new SafeTensors(file, Collections.unmodifiableMap(infos), Collections.unmodifiableMap(metadata), data);
        }
    }

    private static byte[] readPrefix(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate((int) Math.min(8, ch.size()));
        readFully(ch, b, 0);
        return b.array();
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file");
            }
            pos += n;
        }
        buf.flip();
    }

    private static String decodeUtf8(Path file, ByteBuffer bytes) throws SafeTensorsException {
        try {
            CharBuffer chars = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(bytes);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new SafeTensorsException(file, "header is not valid UTF-8");
        }
    }

    private static Map<String, TensorInfo> parseHeader(Path file, String header, Map<String, String> metadata)
            throws SafeTensorsException {
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        boolean seenMetadata = false;
        try (JsonReader r = new JsonReader(new StringReader(header))) {
            r.setStrictness(com.google.gson.Strictness.STRICT);
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw new SafeTensorsException(file, "header is not a JSON object");
            }
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                if (METADATA.equals(name)) {
                    if (seenMetadata) {
                        throw new SafeTensorsException(file, "duplicate entry \"__metadata__\" in header");
                    }
                    seenMetadata = true;
                    readMetadata(file, r, metadata);
                } else {
                    if (infos.containsKey(name)) {
                        throw new SafeTensorsException(file, "duplicate tensor name " + shown(name) + " in header");
                    }
                    infos.put(name, readInfo(file, r, name));
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new SafeTensorsException(file, "trailing content after the header's JSON object");
            }
        } catch (SafeTensorsException e) {
            throw e;
        } catch (MalformedJsonException | IllegalStateException | NumberFormatException e) {
            throw new SafeTensorsException(file, "header is not valid JSON: " + cut(String.valueOf(e.getMessage())));
        } catch (IOException e) {
            throw new SafeTensorsException(file, "header is not valid JSON: " + cut(String.valueOf(e.getMessage())));
        }
        return infos;
    }

    private static void readMetadata(Path file, JsonReader r, Map<String, String> metadata) throws IOException {
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw new SafeTensorsException(file, "\"__metadata__\" must be an object of string values");
        }
        r.beginObject();
        while (r.hasNext()) {
            String key = r.nextName();
            if (r.peek() != JsonToken.STRING) {
                throw new SafeTensorsException(file, "\"__metadata__\" value of " + shown(key) + " is " + r.peek() + ", not a string");
            }
            if (metadata.put(key, r.nextString()) != null) {
                throw new SafeTensorsException(file, "duplicate \"__metadata__\" key " + shown(key));
            }
        }
        r.endObject();
    }

    private static TensorInfo readInfo(Path file, JsonReader r, String name) throws IOException {
        String where = "tensor " + shown(name);
        if (r.peek() != JsonToken.BEGIN_OBJECT) {
            throw new SafeTensorsException(file, where + ": entry is not an object");
        }
        DType dtype = null;
        long[] shape = null;
        long[] offsets = null;
        Set<String> seen = new java.util.HashSet<>();
        r.beginObject();
        while (r.hasNext()) {
            String key = r.nextName();
            if (!seen.add(key)) { // JSON parsers disagree on which duplicate wins: refuse the ambiguity
                throw new SafeTensorsException(file, where + ": duplicate field " + shown(key));
            }
            switch (key) {
                case "dtype" -> {
                    if (r.peek() != JsonToken.STRING) {
                        throw new SafeTensorsException(file, where + ": dtype is not a string");
                    }
                    String d = r.nextString();
                    dtype = DType.parse(d);
                    if (dtype == null) {
                        throw new SafeTensorsException(file, where + ": unknown dtype " + shown(d));
                    }
                }
                case "shape" -> shape = readLongs(file, r, where + ": shape");
                case "data_offsets" -> {
                    offsets = readLongs(file, r, where + ": data_offsets");
                    if (offsets.length != 2) {
                        throw new SafeTensorsException(file, where + ": data_offsets must be [begin, end]");
                    }
                }
                default -> throw new SafeTensorsException(file, where + ": unknown field " + shown(key));
            }
        }
        r.endObject();
        if (dtype == null || shape == null || offsets == null) {
            throw new SafeTensorsException(file, where + ": missing " + (dtype == null ? "dtype" : shape == null ? "shape" : "data_offsets"));
        }
        if (offsets[0] > offsets[1]) {
            throw new SafeTensorsException(file, where + ": data_offsets begin " + offsets[0] + " > end " + offsets[1]);
        }
        long bytes;
        try {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            bytes = Math.multiplyExact(n, (long) dtype.size());
        } catch (ArithmeticException e) {
            throw new SafeTensorsException(file, where + ": shape " + cut(java.util.Arrays.toString(shape)) + " overflows");
        }
        if (bytes != offsets[1] - offsets[0]) {
            throw new SafeTensorsException(file, where + ": shape " + cut(java.util.Arrays.toString(shape)) + " of " + dtype
                    + " needs " + bytes + " bytes but data_offsets give " + (offsets[1] - offsets[0]));
        }
        return new TensorInfo(name, dtype, shape, offsets[0], offsets[1]);
    }

    private static long[] readLongs(Path file, JsonReader r, String where) throws IOException {
        if (r.peek() != JsonToken.BEGIN_ARRAY) {
            throw new SafeTensorsException(file, where + " is not an array");
        }
        List<Long> values = new ArrayList<>();
        r.beginArray();
        while (r.hasNext()) {
            if (r.peek() != JsonToken.NUMBER) {
                throw new SafeTensorsException(file, where + " holds a non-number");
            }
            String s = r.nextString();
            long v;
            try {
                v = Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new SafeTensorsException(file, where + " holds " + s + ", not an integer in [0, 2^63)");
            }
            if (v < 0) {
                throw new SafeTensorsException(file, where + " holds a negative value " + v);
            }
            values.add(v);
        }
        r.endArray();
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static void checkRanges(Path file, Map<String, TensorInfo> infos, long dataLen) throws SafeTensorsException {
        List<TensorInfo> sorted = new ArrayList<>(infos.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        for (TensorInfo t : sorted) {
            if (t.begin() < expected) {
                throw new SafeTensorsException(file, "tensor " + shown(t.name()) + " byte range [" + t.begin() + ", " + t.end()
                        + ") overlaps the previous tensor (which ends at " + expected + ")");
            }
            if (t.begin() > expected) {
                throw new SafeTensorsException(file, "gap in the data buffer: bytes [" + expected + ", " + t.begin()
                        + ") belong to no tensor (before " + shown(t.name()) + ")");
            }
            expected = t.end();
        }
        if (expected != dataLen) {
            throw new SafeTensorsException(file, expected > dataLen
                    ? "tensors need " + expected + " data bytes but the file holds " + dataLen + ": truncated?"
                    : "data buffer holds " + (dataLen - expected) + " trailing bytes that belong to no tensor");
        }
    }

    /** The file this was read from. */
    public Path file() {
        return file;
    }

    /** Tensor names, sorted. */
    public Set<String> names() {
        return new java.util.TreeSet<>(tensors.keySet());
    }

    /** Whether a tensor of this name exists. */
    public boolean contains(String name) {
        return tensors.containsKey(name);
    }

    /** The header's {@code __metadata__} (empty when absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The header entry of a tensor. */
    public TensorInfo info(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new IllegalArgumentException(file + ": no tensor named \"" + name + "\" (it has " + names() + ")");
        }
        return t;
    }

    /** A read-only little-endian view of a tensor's bytes. */
    public ByteBuffer bytes(String name) {
        TensorInfo t = info(name);
        return data.duplicate().position((int) t.begin()).limit((int) t.end()).slice()
                .order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** A float32 tensor's values. */
    public float[] floats(String name) {
        ByteBuffer b = bytes(checkDtype(name, DType.F32));
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }

    /** A float64 tensor's values (float32 tensors are widened). */
    public double[] doubles(String name) {
        if (info(name).dtype() == DType.F32) {
            float[] f = floats(name);
            double[] out = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                out[i] = f[i];
            }
            return out;
        }
        ByteBuffer b = bytes(checkDtype(name, DType.F64));
        double[] out = new double[b.remaining() / 8];
        b.asDoubleBuffer().get(out);
        return out;
    }

    /** An int64 tensor's values. */
    public long[] longs(String name) {
        ByteBuffer b = bytes(checkDtype(name, DType.I64));
        long[] out = new long[b.remaining() / 8];
        b.asLongBuffer().get(out);
        return out;
    }

    private String checkDtype(String name, DType want) {
        DType have = info(name).dtype();
        if (have != want) {
            throw new IllegalArgumentException(file + ": tensor \"" + name + "\" is " + have + ", expected " + want);
        }
        return name;
    }

    /** Creates an NDArray holding a copy of the tensor, owned by {@code manager}. */
    public NDArray toNDArray(String name, NDManager manager) {
        TensorInfo t = info(name);
        if (t.dtype().djl() == null) {
            throw new IllegalArgumentException(file + ": tensor \"" + name + "\" has dtype " + t.dtype() + ", which DJL cannot hold");
        }
        ByteBuffer direct = ByteBuffer.allocateDirect((int) (t.end() - t.begin())).order(ByteOrder.nativeOrder());
        direct.put(bytes(name)).flip();
        NDArray a = manager.create(direct, new Shape(t.shape()), t.dtype().djl());
        a.setName(name);
        return a;
    }

    /** All tensors as NDArrays, in name order. */
    public Map<String, NDArray> toNDArrays(NDManager manager) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String n : names()) {
            out.put(n, toNDArray(n, manager));
        }
        return out;
    }

    /** Writes NDArrays (keys sorted, as the Python library writes them), atomically. */
    public static void write(Path file, Map<String, NDArray> arrays, Map<String, String> metadata) throws IOException {
        List<Tensor> list = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : new TreeMap<>(arrays).entrySet()) {
            list.add(Tensor.of(e.getKey(), e.getValue()));
        }
        writeTensors(file, list, metadata);
    }

    /** Writes tensors in the order given, atomically (temporary file, fsync, rename). */
    public static void writeTensors(Path file, List<Tensor> tensors, Map<String, String> metadata) throws IOException {
        StringBuilder json = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            json.append("\"__metadata__\":{");
            String sep = "";
            for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
                json.append(sep).append(quote(e.getKey())).append(':').append(quote(e.getValue()));
                sep = ",";
            }
            json.append('}');
        }
        long offset = 0;
        Set<String> seen = new java.util.HashSet<>();
        for (Tensor t : tensors) {
            if (!seen.add(t.name()) || METADATA.equals(t.name())) {
                throw new IllegalArgumentException("duplicate or reserved tensor name \"" + t.name() + "\"");
            }
            long n = t.data().remaining();
            long expected = (long) t.dtype().size();
            for (long d : t.shape()) {
                expected *= d;
            }
            if (expected != n) {
                throw new IllegalArgumentException("tensor \"" + t.name() + "\": " + n + " bytes for shape "
                        + java.util.Arrays.toString(t.shape()) + " of " + t.dtype());
            }
            json.append(json.length() > 1 ? "," : "").append(quote(t.name())).append(":{\"dtype\":\"").append(t.dtype())
                    .append("\",\"shape\":").append(java.util.Arrays.toString(t.shape()).replace(" ", ""))
                    .append(",\"data_offsets\":[").append(offset).append(',').append(offset + n).append("]}");
            offset += n;
        }
        json.append('}');
        byte[] header = json.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8; // align the data buffer to 8 bytes, padding with spaces
        byte[] headerPadded = java.util.Arrays.copyOf(header, padded);
        java.util.Arrays.fill(headerPadded, header.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerPadded);
            byte[] chunk = new byte[1 << 16];
            for (Tensor t : tensors) {
                ByteBuffer b = t.data().duplicate();
                while (b.hasRemaining()) {
                    int k = Math.min(chunk.length, b.remaining());
                    b.get(chunk, 0, k);
                    out.write(chunk, 0, k);
                }
            }
        });
    }

    /**
     * A name from the file, quoted, cut and escaped for an error message: a hostile header can hold
     * a 100 MB name, which must not become a 100 MB message, or control characters (newlines,
     * terminal escape sequences) that would rewrite the user's screen when the message is printed.
     */
    static String shown(String name) {
        return "\"" + clean(name, MAX_SHOWN, true) + "\"";
    }

    private static final int MAX_SHOWN = 120;

    /**
     * Text from the file (or a parser's message quoting it) for an error message: cut to {@code max}
     * characters, saying how long it was, with control characters escaped as {@code \\uXXXX}
     * (newlines kept unless {@code escapeNewline}).
     */
    private static String clean(String s, int max, boolean escapeNewline) {
        String t = s.length() <= max ? s : s.substring(0, max) + "...(" + s.length() + " characters)";
        StringBuilder sb = new StringBuilder(t.length());
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (Character.isISOControl(c) && (c != '\n' || escapeNewline)) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static String cut(String s) {
        return clean(s, 400, false);
    }

    private static String quote(String s) {
        return new com.google.gson.JsonPrimitive(s).toString();
    }
}
