package org.diffusion4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.diffusion4j.data.Shapes;
import org.diffusion4j.eval.ShapesAnalyzer;
import org.junit.jupiter.api.Test;

/** The edits the shapes editing evaluation asks for: one object replaced, the caption and mask that say so. */
class ShapesEditEvaluationTest {

    static final int S = 32;

    @Test
    void eachTaskReplacesOneObjectsColourAndShapeAndKeepsTheRest() {
        List<ShapesEditEvaluation.Task> tasks = ShapesEditEvaluation.tasks(S, 60, 0);
        assertEquals(60, tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            ShapesEditEvaluation.Task t = tasks.get(i);
            assertEquals(2, t.original().items().size(), "two-object test images only");
            assertEquals(i % 2, t.replaced());
            Shapes.Item old = t.original().items().get(t.replaced());
            Shapes.Item now = t.target().items().get(t.replaced());
            Shapes.Item other = t.original().items().get(1 - t.replaced());
            assertEquals(other, t.target().items().get(1 - t.replaced()), "the other object stays");
            assertNotEquals(old.shape(), now.shape());
            assertNotEquals(old.colour(), now.colour());
            assertNotEquals(other.colour(), now.colour(), "two objects of different colours, as in the data");
            assertEquals(List.of(old.x0(), old.y0(), old.side()), List.of(now.x0(), now.y0(), now.side()), "same box");
            assertEquals(t.original().relation(), t.target().relation());
            // the caption asks for the target scene, as the analyzer reads captions
            Shapes.Scene parsed = Shapes.parseCaption(t.target().caption(), S);
            assertNotNull(parsed, t.target().caption());
            for (int k = 0; k < 2; k++) {
                assertEquals(t.target().items().get(k).pair(), parsed.items().get(k).pair());
            }
            assertEquals(t.target().relation(), parsed.relation());
            // the drawn target is what the analyzer accepts for it (the layouts of the data keep the relation)
            assertTrue(ShapesAnalyzer.judge(t.target(), Shapes.render(t.target().items(), S), 0, S).objects(), t.target().caption());
        }
        assertEquals(ShapesEditEvaluation.tasks(S, 60, 0), tasks, "deterministic");
        assertNotEquals(ShapesEditEvaluation.tasks(S, 60, 1), tasks, "the seed picks other images");
    }

    @Test
    void theMaskCoversTheReplacedBoxPlusAPixelButNeverTheOtherBox() {
        for (ShapesEditEvaluation.Task t : ShapesEditEvaluation.tasks(S, 40, 3)) {
            float[] m = ShapesEditEvaluation.mask(t, S);
            Shapes.Item box = t.original().items().get(t.replaced());
            Shapes.Item other = t.original().items().get(1 - t.replaced());
            int masked = 0;
            for (int y = 0; y < S; y++) {
                for (int x = 0; x < S; x++) {
                    boolean inBox = inside(box, x, y, 0);
                    boolean inOther = inside(other, x, y, 0);
                    float want = inBox || (inside(box, x, y, 1) && !inOther) ? 1 : 0;
                    assertEquals(want, m[y * S + x], "pixel " + x + "," + y);
                    masked += (int) m[y * S + x];
                }
            }
            assertTrue(masked >= box.side() * box.side());
        }
    }

    private static boolean inside(Shapes.Item b, int x, int y, int grow) {
        return x >= b.x0() - grow && x < b.x1() + grow && y >= b.y0() - grow && y < b.y1() + grow;
    }
}
