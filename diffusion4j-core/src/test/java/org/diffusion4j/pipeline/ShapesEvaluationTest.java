package org.diffusion4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.diffusion4j.data.Shapes;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.junit.jupiter.api.Test;

/** The text-to-image yardstick: captions parse back into what they ask, and real images score the ceiling. */
class ShapesEvaluationTest {

    @Test
    void everyCaptionParsesIntoTheSceneItAsksFor() {
        ShapesDataset d = ShapesDataset.generate(32, Split.TEST, 5, 200);
        for (int i = 0; i < d.size(); i++) {
            Shapes.Scene real = d.sceneAt(i);
            Shapes.Scene parsed = Shapes.parseCaption(real.caption(), 32);
            assertEquals(real.items().size(), parsed.items().size(), real.caption());
            assertEquals(real.relation(), parsed.relation(), real.caption());
            for (int k = 0; k < real.items().size(); k++) {
                assertEquals(real.items().get(k).pair(), parsed.items().get(k).pair(), real.caption());
            }
            if (real.items().size() == 1) {
                assertEquals(real.items().get(0).size(), parsed.items().get(0).size());
            }
        }
        assertNull(Shapes.parseCaption("a purple circle", 32));
        assertNull(Shapes.parseCaption("two dogs", 32));
    }

    @Test
    void realTestImagesAreTheCeiling() {
        ShapesEvaluation.Scores real = ShapesEvaluation.ofRealImages(32, 400, 0);
        System.out.printf("shapes ceiling (400 real test images, S=32): one object %.3f, size %.3f, two objects %.3f, held-out %.3f%n",
                real.oneObject(), real.size(), real.twoObject(), real.heldOut());
        assertTrue(real.oneObject() >= 0.97 && real.size() >= 0.97 && real.twoObject() >= 0.95 && real.heldOut() >= 0.95, real.toString());
    }
}
