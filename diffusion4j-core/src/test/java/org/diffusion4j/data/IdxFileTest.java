package org.diffusion4j.data;

import static org.diffusion4j.data.IdxBytes.gzip;
import static org.diffusion4j.data.IdxBytes.idx;
import static org.diffusion4j.data.IdxBytes.ramp;
import static org.diffusion4j.data.IdxBytes.ubyte;
import static org.diffusion4j.data.IdxBytes.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxFileTest {
    @TempDir
    Path dir;

    @Test
    void readsRawAndGzipDetectedByContentNotName() throws IOException {
        byte[] data = ramp(3 * 4 * 5);
        byte[] raw = ubyte(new int[] {3, 4, 5}, data);
        // names deliberately lie about the compression
        IdxFile plain = IdxFile.read(write(dir, "plain.gz", raw));
        IdxFile packed = IdxFile.read(write(dir, "packed.idx", gzip(raw)));
        for (IdxFile f : new IdxFile[] {plain, packed}) {
            assertArrayEquals(new int[] {3, 4, 5}, f.dims());
            assertEquals(60, f.elementCount());
            assertArrayEquals(data, f.data());
        }
    }

    @Test
    void readsRankOneAndFour() throws IOException {
        assertArrayEquals(new int[] {7}, IdxFile.read(write(dir, "r1", ubyte(new int[] {7}, ramp(7)))).dims());
        IdxFile r4 = IdxFile.read(write(dir, "r4", ubyte(new int[] {2, 3, 1, 2}, ramp(12))));
        assertArrayEquals(new int[] {2, 3, 1, 2}, r4.dims());
        assertEquals(11, r4.data()[11]);
    }

    @Test
    void refusesBadMagic() throws IOException {
        byte[] b = ubyte(new int[] {2}, ramp(2));
        b[1] = 0x08; // e.g. a file that is not IDX at all
        DatasetException e = assertThrows(DatasetException.class, () -> IdxFile.read(write(dir, "bad.idx", b)));
        assertMessage(e, "bad.idx: bad magic number 0x00080801");
    }

    @Test
    void refusesUnsupportedElementType() throws IOException {
        Path p = write(dir, "floats.idx", idx(0x0D, new int[] {2}, new byte[8]));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(p)),
                "floats.idx: element type 0x0D (float32) is not supported; only 0x08 (unsigned byte) is");
        Path q = write(dir, "weird.idx", idx(0x42, new int[] {2}, new byte[2]));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(q)), "0x42 (not an IDX type)");
    }

    @Test
    void refusesRankZeroAndFive() throws IOException {
        Path r0 = write(dir, "r0.idx", new byte[] {0, 0, 8, 0});
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(r0)), "r0.idx: rank 0 is not supported");
        Path r5 = write(dir, "r5.idx", ubyte(new int[] {1, 1, 1, 1, 1}, new byte[1]));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(r5)), "r5.idx: rank 5 is not supported");
    }

    @Test
    void refusesZeroAndNegativeDimensions() throws IOException {
        Path zero = write(dir, "zero.idx", ubyte(new int[] {5, 0, 28}, new byte[0]));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(zero)),
                "zero.idx: dimension 1 of 3 is 0; every dimension must be > 0");
        Path neg = write(dir, "neg.idx", ubyte(new int[] {-1, 28, 28}, new byte[0]));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(neg)), "dimension 0 of 3 is -1");
    }

    @Test
    void refusesHugeDeclaredSizeBeforeAllocating() throws IOException {
        Path huge = write(dir, "huge.idx", ubyte(new int[] {65535, 65535, 65535}, new byte[10]));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(huge)),
                "huge.idx: header declares 65535x65535x65535 = 281462092005375 elements, more than the limit of "
                        + IdxFile.MAX_ELEMENTS);
        Path small = write(dir, "small.idx", ubyte(new int[] {11, 10}, ramp(110)));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(small, 100)), "= 110 elements");
        assertEquals(110, IdxFile.read(small, 110).elementCount());
    }

    @Test
    void refusesTruncatedAndTrailingRawFiles() throws IOException {
        byte[] full = ubyte(new int[] {3, 4, 5}, ramp(60));
        Path cut = write(dir, "cut-idx3-ubyte", Arrays.copyOf(full, 16 + 10));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(cut)),
                "cut-idx3-ubyte: truncated: header declares 3x4x5 = 60 data bytes but the file holds 10");
        Path longer = write(dir, "long-idx3-ubyte", Arrays.copyOf(full, full.length + 1));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(longer)),
                "long-idx3-ubyte: trailing bytes: header declares 3x4x5 = 60 data bytes but the file holds 61");
        Path headerOnly = write(dir, "stub", Arrays.copyOf(full, 9));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(headerOnly)),
                "stub: truncated: the header declares rank 3");
        Path empty = write(dir, "empty", new byte[0]);
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(empty)), "empty: truncated");
    }

    @Test
    void refusesTruncatedAndTrailingDecompressedStreams() throws IOException {
        byte[] full = ubyte(new int[] {3, 4, 5}, ramp(60));
        Path cut = write(dir, "cut.gz", gzip(Arrays.copyOf(full, 16 + 10)));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(cut)),
                "cut.gz: truncated: header declares 3x4x5 = 60 data bytes but the decompressed stream holds 10");
        Path longer = write(dir, "long.gz", gzip(Arrays.copyOf(full, full.length + 1)));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(longer)),
                "long.gz: trailing bytes: header declares 3x4x5 = 60 data bytes but the decompressed stream holds more");
    }

    @Test
    void refusesCutCompressedStream() throws IOException {
        byte[] packed = gzip(ubyte(new int[] {100, 100}, IdxBytes.ramp(10000)));
        Path half = write(dir, "half.gz", Arrays.copyOf(packed, packed.length / 2));
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(half)),
                "half.gz: corrupt or truncated gzip stream");
        byte[] badCrc = packed.clone();
        badCrc[badCrc.length - 5] ^= 1; // CRC32 in the gzip trailer
        Path crc = write(dir, "crc.gz", badCrc);
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(crc)), "crc.gz: corrupt");
    }

    @Test
    void tinyGzipDeclaringHugeSizeIsTruncatedNotAllocated() throws IOException {
        // 40000 x 40000 = 1.6e9 elements is under the cap; the array must only grow as bytes arrive
        Path p = write(dir, "liar.gz", gzip(ubyte(new int[] {40000, 40000}, new byte[1000])));
        Runtime rt = Runtime.getRuntime();
        long before = rt.totalMemory() - rt.freeMemory();
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(p)),
                "liar.gz: truncated: header declares 40000x40000 = 1600000000 data bytes but the decompressed stream "
                        + "holds 1000");
        long after = rt.totalMemory() - rt.freeMemory();
        assertTrue(after - before < 200_000_000L, "read allocated " + (after - before) + " bytes");
    }

    @Test
    void gzipBombStopsOneBytePastTheDeclaredSize() throws IOException {
        // header for 10x28x28 followed by 200 MB of zeros, deflated in-stream: the file stays small
        Path bomb = dir.resolve("bomb-idx3-ubyte.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(bomb), 1 << 16) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            out.write(ubyte(new int[] {10, 28, 28}, new byte[0]));
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 200; i++) {
                out.write(zeros);
            }
        }
        long fileSize = Files.size(bomb);
        assertTrue(fileSize < 1_000_000, "bomb file is " + fileSize + " bytes");

        long[] consumed = {0};
        try (InputStream counting = new FilterInputStream(Files.newInputStream(bomb)) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                consumed[0] += b < 0 ? 0 : 1;
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                consumed[0] += Math.max(n, 0);
                return n;
            }
        }) {
            DatasetException e = assertThrows(DatasetException.class,
                    () -> IdxFile.read(counting, "bomb-idx3-ubyte.gz", fileSize, IdxFile.MAX_ELEMENTS));
            assertMessage(e, "bomb-idx3-ubyte.gz: trailing bytes: header declares 10x28x28 = 7840 data bytes");
        }
        // 200 MB would need all ~200 KB of compressed input; stopping after 7841 bytes needs a few KB
        assertTrue(consumed[0] < fileSize / 4, "consumed " + consumed[0] + " of " + fileSize + " compressed bytes");
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(bomb)), "trailing bytes");
    }

    @Test
    void missingFileIsNamed() {
        Path p = dir.resolve("nope-idx1-ubyte.gz");
        assertMessage(assertThrows(DatasetException.class, () -> IdxFile.read(p)), "nope-idx1-ubyte.gz: no such file");
    }

    static void assertMessage(Throwable e, String expectedPart) {
        assertTrue(e.getMessage().contains(expectedPart),
                "message\n  " + e.getMessage() + "\ndoes not contain\n  " + expectedPart);
    }
}
