package org.diffusion4j.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.junit.jupiter.api.Test;

/** The shapes analyzer reads the real images back (the ceiling of every text-to-image score) and rejects wrong ones. */
class ShapesAnalyzerTest {

    @Test
    void realImagesAreReadBackAsTheirCaptionsSay() {
        for (int s : new int[] {32, 64}) {
            ShapesDataset d = ShapesDataset.generate(s, Split.TEST, 11, 600);
            int single = 0;
            int singleRight = 0;
            int two = 0;
            int twoRight = 0;
            for (int i = 0; i < d.size(); i++) {
                boolean ok = ShapesAnalyzer.judge(d.sceneAt(i), d.pixels(), i * d.imageBytes(), s).correct();
                if (d.sceneAt(i).items().size() == 1) {
                    single++;
                    singleRight += ok ? 1 : 0;
                } else {
                    two++;
                    twoRight += ok ? 1 : 0;
                }
            }
            System.out.printf("shapes analyzer on real S=%d test images: one object %d/%d, two objects %d/%d%n", s, singleRight,
                    single, twoRight, two);
            assertTrue(singleRight >= 0.97 * single, singleRight + "/" + single);
            assertTrue(twoRight >= 0.95 * two, twoRight + "/" + two);
        }
    }

    @Test
    void theWrongColourShapeSizeOrRelationIsCaught() {
        int s = 32;
        Shapes.Item red = new Shapes.Item(Shapes.Shape.CIRCLE, Shapes.Colour.RED, Shapes.Size.LARGE, 3, 3, 14);
        Shapes.Item blue = new Shapes.Item(Shapes.Shape.SQUARE, Shapes.Colour.BLUE, Shapes.Size.SMALL, 6, 20, 8);
        byte[] img = Shapes.render(List.of(red, blue), s);
        Shapes.Scene asked = new Shapes.Scene(List.of(red, blue), Shapes.Relation.ABOVE, "a red circle above a blue square");
        assertTrue(ShapesAnalyzer.judge(asked, img, 0, s).correct());
        Shapes.Item blueCircle = new Shapes.Item(Shapes.Shape.CIRCLE, Shapes.Colour.BLUE, Shapes.Size.LARGE, 3, 3, 14);
        Shapes.Item redSquare = new Shapes.Item(Shapes.Shape.SQUARE, Shapes.Colour.RED, Shapes.Size.SMALL, 6, 20, 8);
        Shapes.Scene swapped = new Shapes.Scene(List.of(blueCircle, redSquare), Shapes.Relation.ABOVE, "a blue circle above a red square");
        ShapesAnalyzer.Verdict unbound = ShapesAnalyzer.judge(swapped, img, 0, s);
        assertTrue(unbound.parts() && !unbound.objects(), "the parts are there, but the colours are bound to the wrong shapes");
        Shapes.Scene below = new Shapes.Scene(List.of(red, blue), Shapes.Relation.BELOW, "a red circle below a blue square");
        ShapesAnalyzer.Verdict v = ShapesAnalyzer.judge(below, img, 0, s);
        assertTrue(v.parts() && v.objects() && !v.relation(), "the relation is wrong");
        Shapes.Item greenSquare = new Shapes.Item(Shapes.Shape.SQUARE, Shapes.Colour.GREEN, Shapes.Size.SMALL, 6, 20, 8);
        Shapes.Scene green = new Shapes.Scene(List.of(red, greenSquare), Shapes.Relation.ABOVE, "a red circle above a green square");
        assertFalse(ShapesAnalyzer.judge(green, img, 0, s).parts(), "a colour that is not drawn: the parts are missing");
        Shapes.Item redTriangle = new Shapes.Item(Shapes.Shape.TRIANGLE, Shapes.Colour.RED, Shapes.Size.LARGE, 3, 3, 14);
        Shapes.Scene triangle = new Shapes.Scene(List.of(redTriangle, blue), Shapes.Relation.ABOVE, "a red triangle above a blue square");
        assertFalse(ShapesAnalyzer.judge(triangle, img, 0, s).parts(), "a shape that is not drawn: the parts are missing");
        Shapes.Scene oneAsked = new Shapes.Scene(List.of(red), null, "a large red circle");
        assertFalse(ShapesAnalyzer.judge(oneAsked, img, 0, s).parts(), "two objects drawn where one was asked");
        Shapes.Item small = new Shapes.Item(Shapes.Shape.CIRCLE, Shapes.Colour.RED, Shapes.Size.SMALL, 3, 3, 8);
        Shapes.Scene smallAsked = new Shapes.Scene(List.of(small), null, "a small red circle");
        byte[] large = Shapes.render(List.of(red), s);
        assertFalse(ShapesAnalyzer.judge(smallAsked, large, 0, s).sizes());
        assertEquals(0, ShapesAnalyzer.analyze(new byte[3 * s * s], 0, s).size(), "black: nothing");
    }
}
