package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ResizeTest {
    @Test
    void sameSizeIsIdentity() {
        byte[] src = IdxBytes.ramp(12);
        assertSame(src, Resize.bilinear(src, 1, 3, 4, 3, 4));
    }

    @Test
    void halvingUsesTheWidenedTriangleFilter() {
        // row v[j] = 10 j, 8 -> 4 wide: output i is centred at source coordinate 2i + 1 and weighs
        // pixels 2i-1 .. 2i+2 by 1/8, 3/8, 3/8, 1/8, which reproduces a linear ramp exactly inside
        byte[] src = new byte[8];
        for (int j = 0; j < 8; j++) {
            src[j] = (byte) (10 * j);
        }
        byte[] out = Resize.bilinear(src, 1, 1, 8, 1, 4);
        assertEquals(25, out[1] & 0xff);
        assertEquals(45, out[2] & 0xff);
        // at the border the missing tap is dropped and the rest renormalised: (3*0 + 3*10 + 1*20) / 7
        assertEquals(Math.round((3 * 0 + 3 * 10 + 1 * 20) / 7.0), out[0] & 0xff);
        assertEquals(Math.round((1 * 50 + 3 * 60 + 3 * 70) / 7.0), out[3] & 0xff);
    }

    @Test
    void upscalingInterpolatesBetweenNeighbours() {
        // 1x2 row [0, 200] to 1x4: centres at 0.25, 0.75, 1.25, 1.75 of the source
        byte[] out = Resize.bilinear(new byte[] {0, (byte) 200}, 1, 1, 2, 1, 4);
        assertEquals(0, out[0] & 0xff); // clamped to the edge pixel
        assertEquals(50, out[1] & 0xff); // 0.75 * 0 + 0.25 * 200
        assertEquals(150, out[2] & 0xff);
        assertEquals(200, out[3] & 0xff);
    }

    @Test
    void channelsAreResizedIndependently() {
        byte[] src = new byte[2 * 9];
        java.util.Arrays.fill(src, 0, 9, (byte) 17);
        java.util.Arrays.fill(src, 9, 18, (byte) 230);
        byte[] out = Resize.bilinear(src, 2, 3, 3, 5, 2);
        for (int i = 0; i < 10; i++) {
            assertEquals(17, out[i] & 0xff);
            assertEquals(230, out[10 + i] & 0xff);
        }
        assertTrue(out.length == 20);
    }
}
