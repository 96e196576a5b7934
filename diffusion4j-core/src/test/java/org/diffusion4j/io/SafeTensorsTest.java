package org.diffusion4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SafeTensorsTest {

    @TempDir Path dir;

    /** A file made of a given header (as JSON text) and data length; the data bytes are 0..n. */
    private Path file(String header, int dataBytes) throws Exception {
        return raw(header.getBytes(StandardCharsets.UTF_8), header.getBytes(StandardCharsets.UTF_8).length, dataBytes);
    }

    private Path raw(byte[] header, long declaredLength, int dataBytes) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(declaredLength).array());
        out.write(header);
        for (int i = 0; i < dataBytes; i++) {
            out.write(i);
        }
        Path p = Files.createTempFile(dir, "t", ".safetensors");
        Files.write(p, out.toByteArray());
        return p;
    }

    private static String entry(String name, String dtype, String shape, long b, long e) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" + b + "," + e + "]}";
    }

    private String error(Path p) {
        return assertThrows(SafeTensorsException.class, () -> SafeTensors.read(p)).getMessage();
    }

    @Test
    void readsAValidFileWithMetadata() throws Exception {
        Path p = file("{\"__metadata__\":{\"format\":\"pt\"}," + entry("a", "F32", "[2]", 0, 8) + "," + entry("b", "I64", "[1]", 8, 16) + "}", 16);
        SafeTensors st = SafeTensors.read(p);
        assertEquals(Map.of("format", "pt"), st.metadata());
        assertEquals(List.of("a", "b"), List.copyOf(st.names()));
        assertArrayEquals(new long[] {2}, st.info("a").shape());
        assertEquals(ByteBuffer.wrap(new byte[] {8, 9, 10, 11, 12, 13, 14, 15}).order(ByteOrder.LITTLE_ENDIAN).getLong(), st.longs("b")[0]);
    }

    @Test
    void roundTripsNDArraysBitExactly() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w = m.randomNormal(new ai.djl.ndarray.types.Shape(3, 4, 5));
            NDArray t = m.create(new long[] {7, -1, 1L << 40});
            NDArray d = m.create(new double[] {Math.PI, -0.0, Double.MIN_VALUE});
            Path p = dir.resolve("w.safetensors");
            SafeTensors.write(p, Map.of("w", w, "t", t, "d", d), Map.of("format", "pt", "note", "ünïcode ✓"));
            SafeTensors st = SafeTensors.read(p);
            assertEquals("ünïcode ✓", st.metadata().get("note"));
            assertArrayEquals(w.toFloatArray(), st.toNDArray("w", m).toFloatArray());
            assertEquals(w.getShape(), st.toNDArray("w", m).getShape());
            assertArrayEquals(t.toLongArray(), st.longs("t"));
            assertArrayEquals(d.toDoubleArray(), st.doubles("d"));
            assertEquals(0, (Files.size(p) - 8 - st.info("d").end()) % 1, "data fills the file");
            long headerLen = ByteBuffer.wrap(Files.readAllBytes(p), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
            assertEquals(0, headerLen % 8, "the data buffer is 8-byte aligned");
        }
    }

    @Test
    void readsTheDiffusersFixtures() throws Exception {
        Path root = Path.of("src/test/resources/fixtures/diffusers");
        SafeTensors unet = SafeTensors.read(root.resolve("unet/diffusion_pytorch_model.safetensors"));
        assertEquals("pt", unet.metadata().get("format"));
        assertArrayEquals(new long[] {16, 3, 3, 3}, unet.info("conv_in.weight").shape());
        SafeTensors io = SafeTensors.read(root.resolve("reference/unet_io.safetensors"));
        assertEquals(DType.I64, io.info("timestep").dtype());
        assertEquals(2 * 3 * 16 * 16, io.floats("sample").length);
        SafeTensors sch = SafeTensors.read(root.resolve("reference/schedulers.safetensors"));
        float[] betas = sch.floats("betas");
        assertEquals(1000, betas.length);
        assertEquals(1e-4f, betas[0], 0f);
        assertEquals(0.02f, betas[999], 0f);
    }

    @Test
    void refusesEachBrokenRuleWithItsOwnMessage() throws Exception {
        String ok = entry("a", "F32", "[2]", 0, 8);
        assertTrue(error(Files.write(dir.resolve("short.safetensors"), new byte[] {1, 2, 3})).contains("shorter than the 8-byte"));
        assertTrue(error(raw("{}".getBytes(), 1L << 62, 0)).contains("exceeds the limit"));
        assertTrue(error(raw("{}".getBytes(), -1, 0)).contains("exceeds the limit"));
        assertTrue(error(raw("{}".getBytes(), 50, 0)).contains("runs past the end"));
        assertTrue(error(raw(new byte[] {'{', (byte) 0xff, '}'}, 3, 0)).contains("not valid UTF-8"));
        assertTrue(error(file("{\"a\":", 0)).contains("not valid JSON"));
        assertTrue(error(file("[1,2]", 0)).contains("not a JSON object"));
        assertTrue(error(file("{" + entry("a", "F33", "[2]", 0, 8) + "}", 8)).contains("unknown dtype \"F33\""));
        assertTrue(error(file("{" + entry("a", "F32", "[3]", 0, 8) + "}", 8)).contains("needs 12 bytes"));
        assertTrue(error(file("{" + entry("a", "F32", "[4294967296,4294967296,4]", 0, 8) + "}", 8)).contains("overflows"));
        assertTrue(error(file("{" + entry("a", "F32", "[-2]", 0, 8) + "}", 8)).contains("negative"));
        assertTrue(error(file("{" + ok + "," + entry("b", "F32", "[2]", 4, 12) + "}", 12)).contains("overlaps"));
        assertTrue(error(file("{" + ok + "," + entry("b", "F32", "[2]", 12, 20) + "}", 20)).contains("gap in the data buffer"));
        assertTrue(error(file("{" + ok + "}", 12)).contains("4 trailing bytes"));
        assertTrue(error(file("{" + ok + "}", 4)).contains("truncated"));
        assertTrue(error(file("{" + ok + "," + entry("a", "F32", "[2]", 8, 16) + "}", 16)).contains("duplicate tensor name \"a\""));
        assertTrue(error(file("{\"__metadata__\":{\"n\":1}," + ok + "}", 8)).contains("not a string"));
        assertTrue(error(file("{\"__metadata__\":[]," + ok + "}", 8)).contains("must be an object"));
        assertTrue(error(file("{" + entry("a", "F32", "[2]", 8, 0) + "}", 8)).contains("begin 8 > end 0"));
        assertTrue(error(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8)).contains("missing data_offsets"));
        assertTrue(error(file("{" + ok + "} x", 8)).contains("not valid JSON"));
    }

    @ParameterizedTest
    @CsvSource({"model.bin", "model.ckpt", "model.pt", "model.pth"})
    void refusesPickleFilesByName(String name) throws Exception {
        Path p = Files.write(dir.resolve(name), new byte[] {(byte) 0x80, 2, 'c', 'o', 's', '\n', 0, 0, 0});
        String msg = error(p);
        assertTrue(msg.contains("pickle") && msg.contains("safe_serialization=True"), msg);
    }

    @Test
    void refusesPickleAndTorchZipContentUnderAnyName() throws Exception {
        Path pickle = Files.write(dir.resolve("a.safetensors"), new byte[] {(byte) 0x80, 4, (byte) 0x95, 1, 2, 3, 4, 5, 6, 7});
        assertTrue(error(pickle).contains("pickle"));
        Path zip = Files.write(dir.resolve("b.safetensors"), new byte[] {'P', 'K', 3, 4, 1, 2, 3, 4, 5, 6});
        assertTrue(error(zip).contains("torch.save zip"));
    }

    @Test
    void aHeaderLengthThatLooksLikeAPickleOpcodeIsStillRead() throws Exception {
        // 640 = 0x280: its first two bytes are 0x80 0x02, the pickle protocol-2 marker.
        StringBuilder h = new StringBuilder("{" + entry("a", "F32", "[2]", 0, 8) + "}");
        while (h.length() < 640) {
            h.append(' ');
        }
        SafeTensors st = SafeTensors.read(file(h.toString(), 8));
        assertEquals(2, st.floats("a").length);
    }

    @Test
    void refusesToWriteAShapeThatDoesNotMatchItsBytes() {
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.writeTensors(dir.resolve("x.safetensors"),
                List.of(SafeTensors.Tensor.of("x", new float[] {1, 2, 3}, 2)), Map.of()));
    }
}
