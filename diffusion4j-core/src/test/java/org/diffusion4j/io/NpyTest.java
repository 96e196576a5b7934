package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    @TempDir
    Path dir;

    static Path resource(String name) throws URISyntaxException {
        return Path.of(NpyTest.class.getResource("/npy/" + name).toURI());
    }

    @Test
    void readsFilesWrittenByNumpy() throws Exception {
        Npy a = Npy.read(resource("f4_2x3.npy"));
        assertEquals(DType.F32, a.dtype());
        assertArrayEquals(new long[] {2, 3}, a.shape());
        assertArrayEquals(new float[] {-1f, -0.5f, 0f, 0.5f, 1f, 1.5f}, a.floats());

        Npy b = Npy.read(resource("f8_4.npy"));
        assertEquals(DType.F64, b.dtype());
        assertArrayEquals(new double[] {1.5, -2.25, 1e-300, Math.PI}, b.doubles());

        Npy c = Npy.read(resource("i8_scalar.npy"));
        assertArrayEquals(new long[0], c.shape());
        assertArrayEquals(new long[] {-7}, c.longs());

        Npy d = Npy.read(resource("i8_2x0.npy"));
        assertArrayEquals(new long[] {2, 0}, d.shape());
        assertEquals(0, d.longs().length);

        Npy v2 = Npy.read(resource("f4_v2.npy"));
        assertArrayEquals(new float[] {1, 2, 3, 4}, v2.floats());
    }

    @Test
    void writesTheSameBytesAsNumpy() throws Exception {
        Path out = dir.resolve("a.npy");
        Npy.write(out, new float[] {-1f, -0.5f, 0f, 0.5f, 1f, 1.5f}, 2, 3);
        assertArrayEquals(Files.readAllBytes(resource("f4_2x3.npy")), Files.readAllBytes(out));
        Npy.write(out, new double[] {1.5, -2.25, 1e-300, Math.PI}, 4);
        assertArrayEquals(Files.readAllBytes(resource("f8_4.npy")), Files.readAllBytes(out));
        Npy.write(out, new long[] {-7});
        assertArrayEquals(Files.readAllBytes(resource("i8_scalar.npy")), Files.readAllBytes(out));
    }

    @Test
    void headerIsPaddedToSixtyFourBytes() {
        for (long[] shape : new long[][] {{}, {1}, {123456789, 987654321, 3, 5, 7, 11, 13}}) {
            byte[] h = Npy.header("<f4", shape);
            assertEquals(0, h.length % 64, Arrays.toString(shape));
            assertEquals('\n', h[h.length - 1]);
        }
    }

    @Test
    void ndArrayRoundTripKeepsTypeShapeAndValues() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(2, 1, 3, 4));
            Path f = dir.resolve("x.npy");
            Npy.write(f, x);
            NDArray y = Npy.read(f, m);
            assertEquals(x.getShape(), y.getShape());
            assertEquals(DataType.FLOAT32, y.getDataType());
            assertArrayEquals(x.toFloatArray(), y.toFloatArray());

            NDArray l = m.create(new long[] {3, -4, Long.MAX_VALUE});
            Npy.write(f, l);
            assertArrayEquals(l.toLongArray(), Npy.read(f, m).toLongArray());
            assertEquals(DataType.INT64, Npy.read(f, m).getDataType());

            NDArray d = m.create(new double[] {0.1, 0.2}, new Shape(1, 2));
            Npy.write(f, d);
            assertArrayEquals(d.toDoubleArray(), Npy.read(f, m).toDoubleArray());
        }
    }

    @Test
    void refusesFortranOrderBigEndianAndOtherDtypesNamingTheFix() {
        NpyException f = assertThrows(NpyException.class, () -> Npy.read(resource("f4_fortran.npy")));
        assertTrue(f.getMessage().contains("Fortran") && f.getMessage().contains("ascontiguousarray"), f.getMessage());
        NpyException b = assertThrows(NpyException.class, () -> Npy.read(resource("f4_bigendian.npy")));
        assertTrue(b.getMessage().contains("big-endian") && b.getMessage().contains("'<f4'"), b.getMessage());
        NpyException h = assertThrows(NpyException.class, () -> Npy.read(resource("f2.npy")));
        assertTrue(h.getMessage().contains("'<f2'") && h.getMessage().contains("float32"), h.getMessage());
        assertTrue(h.getMessage().contains("f2.npy"), "names the file: " + h.getMessage());
    }

    @Test
    void refusesMalformedFiles() throws Exception {
        byte[] good = Files.readAllBytes(resource("f4_2x3.npy"));

        assertRefused(Arrays.copyOf("not an npy file".getBytes(StandardCharsets.US_ASCII), 40), "\\x93NUMPY");
        byte[] v9 = good.clone();
        v9[6] = 9;
        assertRefused(v9, "version 9.0");
        assertRefused(Arrays.copyOf(good, good.length - 1), "truncated");
        assertRefused(Arrays.copyOf(good, good.length + 4), "trailing");
        byte[] hugeLen = good.clone();
        hugeLen[8] = (byte) 0xff;
        hugeLen[9] = (byte) 0x0f;
        assertRefused(hugeLen, "runs past the end");

        assertRefused(withHeader("{'descr': '<f4', 'fortran_order': False}", 0), "lacks the key 'shape'");
        assertRefused(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': True}", 8), "unexpected keys [x]");
        assertRefused(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", 8), "trailing comma");
        assertRefused(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", 8), "non-negative integer");
        assertRefused(withHeader("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", 8), "expected a string, a tuple");
        assertRefused(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'shape': (2,)}", 8), "duplicate key");
        assertRefused(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} junk", 8), "after the dict");
        assertRefused(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,3,)", 24), "ends early");
        assertRefused(withHeader("{'descr': (2,), 'fortran_order': False, 'shape': (2,)}", 8), "'descr' must be a string");
        assertRefused(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", 8), "needs 24 data bytes but the file holds 8");
        assertRefused(withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x" + "y".repeat(20_000) + "': 1}", 0),
                "exceeds the limit of 10000 bytes");
        NpyException e = assertRefused(withHeader("{'descr': '\u001b[2J" + "z".repeat(500) + "', 'fortran_order': False, 'shape': (2,)}", 8),
                "is not supported");
        assertFalse(e.getMessage().contains("\u001b"), "control characters are escaped");
        assertTrue(e.getMessage().contains("\\u001b[2J") && e.getMessage().length() < 300, e.getMessage());
    }

    @Test
    void acceptsDictWithoutTrailingCommaAndEmptyShape() throws Exception {
        Path f = dir.resolve("ok.npy");
        Files.write(f, withHeader("{\"descr\":\"<f4\",\"fortran_order\":False,\"shape\":()}", 4));
        assertEquals(1, Npy.read(f).size());
        assertFalse(Npy.read(f).shape().length > 0);
    }

    @Test
    void writerRefusesMismatchedShapeAndUnsupportedTypes() {
        assertThrows(IllegalArgumentException.class, () -> Npy.write(dir.resolve("a.npy"), new float[5], 2, 3));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray i = m.create(new int[] {1, 2});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.write(dir.resolve("b.npy"), i));
            assertTrue(e.getMessage().contains("int32"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve("a.npy")));
    }

    @Test
    void missingFileNamesThePath() {
        Path missing = dir.resolve("nope.npy");
        IOException e = assertThrows(IOException.class, () -> Npy.read(missing));
        assertTrue(e.getMessage().contains("nope.npy"), e.getMessage());
    }

    private NpyException assertRefused(byte[] bytes, String expected) throws IOException {
        Path f = dir.resolve("bad.npy");
        Files.write(f, bytes);
        NpyException e = assertThrows(NpyException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().contains(expected), "expected '" + expected + "' in: " + e.getMessage());
        assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
        return e;
    }

    /** A version 1.0 file with the given dict text (newline appended) and {@code dataBytes} zero bytes. */
    private static byte[] withHeader(String dict, int dataBytes) {
        byte[] d = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + d.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) d.length).put(d);
        return b.array();
    }
}
