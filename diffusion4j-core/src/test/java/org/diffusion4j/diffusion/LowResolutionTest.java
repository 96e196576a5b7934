package org.diffusion4j.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.diffusion4j.schedule.NoiseSchedule;
import org.junit.jupiter.api.Test;

/** The cascade's low-resolution condition against hand computation. */
class LowResolutionTest {

    @Test
    void downsampleAveragesBlocksAndUpsampleRepeatsThem() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] v = new float[2 * 4 * 4];
            for (int i = 0; i < v.length; i++) {
                v[i] = i;
            }
            NDArray x = m.create(v, new Shape(1, 2, 4, 4));
            float[] low = LowResolution.downsample(x, 2).toFloatArray();
            // channel 0 block (0,0): 0, 1, 4, 5 -> 2.5; block (0,1): 2, 3, 6, 7 -> 4.5; channel 1 adds 16
            assertArrayEquals(new float[] {2.5f, 4.5f, 10.5f, 12.5f, 18.5f, 20.5f, 26.5f, 28.5f}, low);
            NDArray up = LowResolution.upsample(m.create(new float[] {1, 2, 3, 4}, new Shape(1, 1, 2, 2)), 2);
            assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4}, up.toFloatArray());
            NDArray blocky = LowResolution.upsample(m.create(new float[] {-1, 0.5f, 0.25f, 1}, new Shape(1, 1, 2, 2)), 2);
            assertArrayEquals(blocky.toFloatArray(), LowResolution.upsample(LowResolution.downsample(blocky, 2), 2).toFloatArray());
            assertThrows(IllegalArgumentException.class, () -> LowResolution.downsample(m.zeros(new Shape(1, 1, 5, 4)), 2));
        }
    }

    @Test
    void augmentationIsTheForwardProcessAtEachImagesLevel() {
        NoiseSchedule schedule = NoiseSchedule.linear();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {0.5f, -0.25f}, new Shape(2, 1, 1, 1));
            NDArray eps = m.create(new float[] {1f, 2f}, new Shape(2, 1, 1, 1));
            float[] out = LowResolution.augment(schedule, x, new int[] {-1, 100}, eps).toFloatArray();
            assertEquals(0.5f, out[0], 0f, "level -1: unchanged");
            double a = schedule.alphaCumprod(100);
            assertEquals(Math.sqrt(a) * -0.25 + Math.sqrt(1 - a) * 2, out[1], 1e-6);
        }
    }
}
