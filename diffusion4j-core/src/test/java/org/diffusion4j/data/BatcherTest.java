package org.diffusion4j.data;

import static org.diffusion4j.data.IdxFileTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BatcherTest {
    /** 10 RGB 2x3 images; pixel bytes are their own flat index mod 256; label = index mod 3. */
    static ArrayImageDataset tiny() {
        int[] labels = new int[10];
        for (int i = 0; i < 10; i++) {
            labels[i] = i % 3;
        }
        return new ArrayImageDataset("tiny", 3, 2, 3, IdxBytes.ramp(10 * 18), labels, List.of("a", "b", "c"));
    }

    static Batcher batcher(ImageDataset ds, int batchSize, long seed, boolean flip) {
        return Batcher.builder(ds).setBatchSize(batchSize).optSeed(seed).optRandomHorizontalFlip(flip).build();
    }

    @Test
    void batchIsOneFloat32NchwArrayInMinusOneToOne() {
        ImageDataset ds = SyntheticDataset.noise(40, 3, 4, 5, 7);
        Batcher b = batcher(ds, 8, 1, false);
        try (NDManager manager = NDManager.newBaseManager(); Batch batch = b.batchAt(manager, 3)) {
            assertEquals(new Shape(8, 3, 4, 5), batch.images().getShape());
            assertEquals(DataType.FLOAT32, batch.images().getDataType());
            assertEquals(DataType.INT64, batch.labels().getDataType());
            assertEquals(new Shape(8), batch.labels().getShape());
            float[] x = batch.images().toFloatArray();
            int[] idx = batch.indices();
            for (int j = 0; j < 8; j++) {
                for (int k = 0; k < ds.imageBytes(); k++) {
                    int pixel = ds.pixels()[idx[j] * ds.imageBytes() + k] & 0xff;
                    float v = x[j * ds.imageBytes() + k];
                    assertTrue(v >= -1f && v <= 1f);
                    assertEquals((float) (pixel / 127.5 - 1), v, 0f);
                    assertEquals(pixel, Batcher.toPixel(v)); // exact round trip
                }
            }
            assertArrayEquals(new long[] {-1, -1, -1, -1, -1, -1, -1, -1}, batch.labels().toLongArray());
        }
        assertEquals(-1f, Batcher.toModelRange(0), 0f);
        assertEquals(1f, Batcher.toModelRange(255), 0f);
    }

    @Test
    void oneKnownPixelAndLabelRoundTrip() {
        ArrayImageDataset ds = tiny();
        Batcher b = Batcher.builder(ds).setBatchSize(5).optShuffle(false).build();
        try (NDManager manager = NDManager.newBaseManager(); Batch batch = b.batchAt(manager, 1)) {
            // step 1 without shuffling holds images 5..9; image 7, channel 2, y 1, x 0
            int flat = 7 * 18 + 2 * 6 + 1 * 3;
            assertEquals(flat & 0xff, ds.pixels()[flat] & 0xff);
            float v = batch.images().getFloat(2, 2, 1, 0);
            assertEquals((flat & 0xff) / 127.5f - 1f, v, 1e-7f);
            assertEquals(flat & 0xff, Batcher.toPixel(v));
            assertArrayEquals(new long[] {2, 0, 1, 2, 0}, batch.labels().toLongArray());
        }
    }

    @Test
    void stepSemanticsDropTheLastIncompleteBatch() {
        Batcher b = batcher(tiny(), 3, 5, false); // 10 images, batches of 3: 3 per epoch, 1 image dropped
        assertEquals(3, b.batchesPerEpoch());
        assertEquals(0, b.epochOf(2));
        assertEquals(1, b.epochOf(3));
        assertEquals(4, b.epochOf(14));
        int[] perm = b.permutation(1);
        assertArrayEquals(Arrays.copyOfRange(perm, 3, 6), b.indicesAt(4));
        assertThrows(IllegalArgumentException.class, () -> b.indicesAt(-1));
        assertMessage(assertThrows(IllegalArgumentException.class, () -> batcher(tiny(), 11, 0, false)),
                "tiny: 10 images, fewer than one batch of 11");
    }

    @Test
    void everyEpochIsAPermutationAndSequentialIterationMatchesBatchAt() {
        ImageDataset ds = SyntheticDataset.noise(103, 1, 2, 2, 3);
        Batcher b = batcher(ds, 10, 42, true);
        Batcher fresh = batcher(ds, 10, 42, true); // recomputes from (seed, step) with no history
        long step = 0;
        for (long epoch = 0; epoch < 4; epoch++) {
            int[] perm = b.permutation(epoch);
            boolean[] seen = new boolean[ds.size()];
            for (int i : perm) {
                assertFalse(seen[i], "index " + i + " twice in epoch " + epoch);
                seen[i] = true;
            }
            for (int k = 0; k < b.batchesPerEpoch(); k++, step++) {
                assertArrayEquals(Arrays.copyOfRange(perm, k * 10, k * 10 + 10), b.indicesAt(step));
            }
        }
        for (long s = 39; s >= 0; s -= 7) { // random access in any order gives the same batches
            assertArrayEquals(b.indicesAt(s), fresh.indicesAt(s));
            assertArrayEquals(b.flipsAt(s), fresh.flipsAt(s));
        }
        assertFalse(Arrays.equals(b.permutation(0), b.permutation(1)));
    }

    @Test
    void permutationIsTheDocumentedFisherYates() {
        Batcher b = batcher(tiny(), 2, 9, false);
        for (long epoch : new long[] {0, 1, 1000}) {
            int[] expected = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
            Random rng = new Random(9 * 1_000_003L + epoch);
            for (int i = expected.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = expected[i];
                expected[i] = expected[j];
                expected[j] = t;
            }
            assertArrayEquals(expected, b.permutation(epoch));
        }
    }

    @Test
    void sameSeedSameBatchesDifferentSeedDifferentOrder() {
        ImageDataset ds = SyntheticDataset.noise(64, 1, 3, 3, 0);
        float[] x1 = new float[8 * 9];
        float[] x2 = new float[8 * 9];
        long[] y = new long[8];
        for (long s = 0; s < 20; s++) {
            batcher(ds, 8, 123, true).fill(s, x1, y);
            batcher(ds, 8, 123, true).fill(s, x2, y);
            assertArrayEquals(x1, x2);
        }
        assertFalse(Arrays.equals(batcher(ds, 8, 123, true).permutation(0), batcher(ds, 8, 124, true).permutation(0)));
        Batcher ordered = Batcher.builder(ds).setBatchSize(8).optShuffle(false).build();
        assertArrayEquals(new int[] {16, 17, 18, 19, 20, 21, 22, 23}, ordered.indicesAt(10)); // epoch 1, batch 2
    }

    @Test
    void flipMirrorsRowsOfTheSelectedSlots() {
        ArrayImageDataset ds = tiny();
        Batcher b = batcher(ds, 5, 77, true);
        float[] x = new float[5 * 18];
        long[] y = new long[5];
        int flipped = 0;
        int total = 0;
        for (long s = 0; s < 400; s++) {
            b.fill(s, x, y);
            int[] idx = b.indicesAt(s);
            boolean[] flips = b.flipsAt(s);
            for (int j = 0; j < 5; j++) {
                for (int row = 0; row < 6; row++) { // 3 channels x 2 rows of width 3
                    for (int col = 0; col < 3; col++) {
                        int srcCol = flips[j] ? 2 - col : col;
                        int pixel = ds.pixels()[idx[j] * 18 + row * 3 + srcCol] & 0xff;
                        assertEquals(Batcher.toModelRange(pixel), x[j * 18 + row * 3 + col], 0f);
                    }
                }
                flipped += flips[j] ? 1 : 0;
                total++;
            }
        }
        // Binomial(2000, 0.5): mean 1000, sd 22.4; 5 sd either side
        assertEquals(1000, flipped, 112, "flipped " + flipped + " of " + total);
        assertArrayEquals(new boolean[5], batcher(ds, 5, 77, false).flipsAt(3));
    }
}
