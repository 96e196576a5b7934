package org.diffusion4j.data;

import static org.diffusion4j.data.IdxFileTest.assertMessage;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ArrayImageDatasetTest {
    @Test
    void validatesShapesAndLabels() {
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new ArrayImageDataset("x", 3, 2, 2, new byte[13], null, List.of())),
                "x: 13 pixel bytes is not a whole number of 3x2x2 images");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new ArrayImageDataset("x", 1, 2, 2, new byte[8], new int[] {0, 2}, List.of("a", "b"))),
                "x: label of image 1 is 2, outside [0, 2)");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new ArrayImageDataset("x", 1, 2, 2, new byte[8], new int[] {0}, List.of("a"))),
                "x: 1 labels for 2 images");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new ArrayImageDataset("x", 4, 2, 2, new byte[16], null, List.of())), "channels must be 1 or 3");
    }

    @Test
    void headCopiesTheFirstImages() {
        ArrayImageDataset ds = SyntheticDataset.stripes(6, 1, 4, 4, 0);
        ArrayImageDataset head = ds.head(4);
        assertEquals(4, head.size());
        assertEquals(ds.label(3), head.label(3));
        assertEquals(ds.pixels()[4 * 16 - 1], head.pixels()[4 * 16 - 1]);
        assertEquals(6, ds.head(100).size());
    }

    @Test
    void stripesAreHorizontalOrVerticalByLabel() {
        ArrayImageDataset ds = SyntheticDataset.stripes(20, 3, 8, 8, 5);
        assertEquals(List.of("horizontal", "vertical"), ds.classNames());
        byte[] p = ds.pixels();
        for (int n = 0; n < ds.size(); n++) {
            boolean horizontal = ds.label(n) == 0;
            int base = n * ds.imageBytes();
            int distinct = 0;
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    int v = p[base + y * 8 + x] & 0xff;
                    assertTrue(v == 0 || v == 255);
                    // constant along the stripe direction, and all channels equal
                    assertEquals(v, p[base + (horizontal ? y * 8 : x) ] & 0xff);
                    assertEquals(v, p[base + 2 * 64 + y * 8 + x] & 0xff);
                    distinct |= 1 << (v == 0 ? 0 : 1);
                }
            }
            assertEquals(3, distinct, "image " + n + " has both black and white");
        }
    }
}
