package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFilesTest {

    @TempDir
    Path tmp;

    static byte[] idx(int magic, int[] dims, byte[] payload) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeInt(magic);
        for (int d : dims) {
            out.writeInt(d);
        }
        out.write(payload);
        return bytes.toByteArray();
    }

    Path gz(String name, byte[] content) throws IOException {
        Path p = tmp.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
            out.write(content);
        }
        return p;
    }

    @Test
    void readsImagesScaledToMinusOneOne() throws IOException {
        Path p = gz("x-images-idx3-ubyte.gz", idx(0x803, new int[] {2, 1, 2}, new byte[] {0, (byte) 255, (byte) 128, 1}));
        int[] dims = new int[3];
        float[] px = IdxFiles.images(p, dims);
        assertArrayEquals(new int[] {2, 1, 2}, dims);
        assertArrayEquals(new float[] {-1f, 1f, 128 / 127.5f - 1, 1 / 127.5f - 1}, px, 1e-7f);
        Path l = gz("x-labels-idx1-ubyte.gz", idx(0x801, new int[] {3}, new byte[] {9, 0, 4}));
        assertArrayEquals(new int[] {9, 0, 4}, IdxFiles.labels(l));
    }

    @Test
    void refusesBadMagicTruncationAndMissingFiles() throws IOException {
        Path labelsAsImages = gz("a.gz", idx(0x801, new int[] {3}, new byte[3]));
        IOException e = assertThrows(IOException.class, () -> IdxFiles.images(labelsAsImages, new int[3]));
        assertTrue(e.getMessage().contains("magic") && e.getMessage().contains("a.gz"), e.getMessage());
        Path truncated = gz("t.gz", idx(0x803, new int[] {10, 28, 28}, new byte[100]));
        e = assertThrows(IOException.class, () -> IdxFiles.images(truncated, new int[3]));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        e = assertThrows(IOException.class, () -> IdxFiles.labels(tmp.resolve("none.gz")));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
        assertEquals(0, tmp.resolve("none.gz").toFile().length());
    }
}
