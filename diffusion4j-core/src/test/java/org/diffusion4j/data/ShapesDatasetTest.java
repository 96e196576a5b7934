package org.diffusion4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shapes data set against its specification (SHAPES.md). */
class ShapesDatasetTest {

    @Test
    void sizesColoursAndTheCanvasAreTheSpecs() {
        assertEquals(8, Shapes.Size.SMALL.side(32));
        assertEquals(14, Shapes.Size.LARGE.side(32));
        assertEquals(16, Shapes.Size.SMALL.side(64));
        assertEquals(28, Shapes.Size.LARGE.side(64));
        assertEquals(4, Shapes.Size.SMALL.side(16));
        assertEquals(7, Shapes.Size.LARGE.side(16));
        assertEquals(200, Shapes.Colour.GREEN.channel(1));
        assertEquals(64, Shapes.Colour.BLUE.channel(1));
        ShapesDataset d = ShapesDataset.generate(32, Split.TRAIN, 0, 40);
        assertEquals(3 * 32 * 32 * 40, d.pixels().length);
        for (int i = 0; i < d.size(); i++) {
            for (Shapes.Item it : d.sceneAt(i).items()) {
                assertTrue(it.x0() >= 1 && it.y0() >= 1 && it.x1() <= 31 && it.y1() <= 31, "margin of 1 px: " + it);
            }
        }
    }

    @Test
    void aSquareFillsItsBoxAndEdgesAreAntiAliased() {
        Shapes.Item square = new Shapes.Item(Shapes.Shape.SQUARE, Shapes.Colour.RED, Shapes.Size.SMALL, 3, 5, 8);
        byte[] px = Shapes.render(List.of(square), 32);
        int red = 0;
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int v = px[y * 32 + x] & 0xff;
                boolean in = x >= 3 && x < 11 && y >= 5 && y < 13;
                assertEquals(in ? 255 : 0, v, "(" + x + ", " + y + ")");
                red += v > 0 ? 1 : 0;
                assertEquals(0, px[32 * 32 + y * 32 + x], "no green in a red square");
            }
        }
        assertEquals(64, red);
        // a circle's rim is partly covered: values strictly between 0 and 255 appear, and it is symmetric
        Shapes.Item circle = new Shapes.Item(Shapes.Shape.CIRCLE, Shapes.Colour.WHITE, Shapes.Size.LARGE, 4, 4, 14);
        byte[] c = Shapes.render(List.of(circle), 32);
        boolean partial = false;
        for (int y = 4; y < 18; y++) {
            for (int x = 4; x < 18; x++) {
                int v = c[y * 32 + x] & 0xff;
                partial |= v > 0 && v < 240;
                assertEquals(v, c[y * 32 + (21 - x)] & 0xff, "mirror symmetric");
                assertEquals(v, c[(21 - y) * 32 + x] & 0xff, "mirror symmetric");
            }
        }
        assertTrue(partial);
        assertEquals(240, c[11 * 32 + 11] & 0xff, "the centre is fully covered");
        // a triangle: apex row thin, base row full
        Shapes.Item tri = new Shapes.Item(Shapes.Shape.TRIANGLE, Shapes.Colour.BLUE, Shapes.Size.SMALL, 10, 10, 8);
        byte[] t = Shapes.render(List.of(tri), 32);
        int top = 0;
        int base = 0;
        for (int x = 10; x < 18; x++) {
            top += (t[2 * 1024 + 10 * 32 + x] & 0xff) > 0 ? 1 : 0;
            base += (t[2 * 1024 + 17 * 32 + x] & 0xff) > 0 ? 1 : 0;
        }
        assertTrue(top <= 2 && base == 8, top + " " + base);
    }

    @Test
    void captionsFollowTheSceneAndRelationsHoldWithTheMargin() {
        ShapesDataset d = ShapesDataset.generate(32, Split.TEST, 3, 400);
        Set<Shapes.Relation> seen = new HashSet<>();
        for (int i = 0; i < d.size(); i++) {
            Shapes.Scene s = d.sceneAt(i);
            if (i % 2 == 0) {
                assertEquals(1, s.items().size());
                Shapes.Item a = s.items().get(0);
                assertEquals("a " + a.size().word() + " " + a.pair(), s.caption());
            } else {
                assertEquals(2, s.items().size());
                Shapes.Item a = s.items().get(0);
                Shapes.Item b = s.items().get(1);
                assertNotEquals(a.colour(), b.colour());
                assertFalse(a.overlaps(b));
                assertTrue(s.relation().holds(a.centreX() - b.centreX(), a.centreY() - b.centreY()));
                assertEquals("a " + a.pair() + " " + s.relation().words() + " a " + b.pair(), s.caption());
                seen.add(s.relation());
            }
        }
        assertEquals(4, seen.size(), "every relation occurs");
    }

    @Test
    void theTrainingSplitNeverHoldsAHeldOutPairAndTheTestSplitDoes() {
        ShapesDataset train = ShapesDataset.generate(32, Split.TRAIN, 0, 2000);
        for (int i = 0; i < train.size(); i++) {
            for (Shapes.Item it : train.sceneAt(i).items()) {
                assertFalse(Shapes.HELD_OUT.contains(it.pair()), i + ": " + train.caption(i));
            }
        }
        ShapesDataset test = ShapesDataset.generate(32, Split.TEST, 0, 2000);
        long held = java.util.stream.IntStream.range(0, test.size())
                .filter(i -> test.sceneAt(i).items().stream().anyMatch(it -> Shapes.HELD_OUT.contains(it.pair()))).count();
        assertTrue(held > 100, held + " test images with a held-out pair");
    }

    @Test
    void imageIIsAFunctionOfSeedSplitAndIndexOnly() {
        ShapesDataset a = ShapesDataset.generate(32, Split.TRAIN, 7, 10);
        ShapesDataset b = ShapesDataset.generate(32, Split.TRAIN, 7, 30);
        assertArrayEquals(a.pixels(), Arrays.copyOf(b.pixels(), a.pixels().length));
        assertEquals(a.caption(9), b.caption(9));
        assertNotEquals(ShapesDataset.generate(32, Split.TEST, 7, 10).caption(1), a.caption(1), "splits are separate streams");
        assertThrows(IllegalArgumentException.class, () -> ShapesDataset.generate(8, Split.TRAIN, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> ShapesDataset.generate(32, Split.TRAIN, 0, 0));
    }

    @Test
    void theEvaluationPromptsCoverEverySingleObjectCaption() {
        List<String> prompts = Shapes.evaluationPrompts(20);
        assertEquals(62, prompts.size());
        assertEquals(42, prompts.stream().filter(p -> !p.contains(" of ") && !p.contains("above") && !p.contains("below")).count());
        assertEquals(6, prompts.subList(0, 42).stream().filter(p -> Shapes.HELD_OUT.stream().anyMatch(p::endsWith)).count());
    }

    @Test
    void swappedCaptionsUseTheSameWordsToDescribeAnotherImage() {
        assertEquals("a blue square to the left of a red circle", Shapes.swappedOrder("a red circle to the left of a blue square"));
        assertEquals("a blue circle above a red square", Shapes.swappedColours("A red circle above a blue square "));
        assertEquals(null, Shapes.swappedOrder("a small red circle"));
        assertEquals(null, Shapes.swappedColours("a cat on a mat"));
        ShapesDataset d = ShapesDataset.generate(32, Split.TRAIN, 3, 400);
        int two = 0;
        for (int i = 0; i < d.size(); i++) {
            Shapes.Scene scene = d.sceneAt(i);
            if (scene.relation() == null) {
                continue;
            }
            two++;
            Shapes.Item a = scene.items().get(0);
            Shapes.Item b = scene.items().get(1);
            Shapes.Scene order = Shapes.parseCaption(Shapes.swappedOrder(scene.caption()), 32);
            assertEquals(List.of(b.pair(), a.pair()), List.of(order.items().get(0).pair(), order.items().get(1).pair()));
            assertEquals(scene.relation(), order.relation());
            // the drawn image contradicts the swapped caption: its first object is not where the relation puts it
            assertFalse(scene.relation().holds(b.centreX() - a.centreX(), b.centreY() - a.centreY()), scene.caption());
            Shapes.Scene colours = Shapes.parseCaption(Shapes.swappedColours(scene.caption()), 32);
            assertEquals(List.of(b.colour(), a.colour()), List.of(colours.items().get(0).colour(), colours.items().get(1).colour()));
            assertEquals(List.of(a.shape(), b.shape()), List.of(colours.items().get(0).shape(), colours.items().get(1).shape()));
            assertNotEquals(scene.caption(), Shapes.swappedColours(scene.caption()), "two objects differ in colour");
        }
        assertTrue(two > 150, two + " two-object images of 400");
    }
}
