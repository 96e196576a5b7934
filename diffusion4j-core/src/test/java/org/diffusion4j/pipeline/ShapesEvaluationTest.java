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

    /**
     * Images scored by the captions they carry (a cascade's, made at another size) score as the real images of those
     * captions do: real 64×64 test images with their captions give the ceiling's figures exactly, and the same images
     * asked for a neighbour's caption fall far below it.
     */
    @Test
    void imagesAreScoredAgainstTheCaptionsTheyCarry() {
        int n = 120;
        ShapesDataset d = ShapesDataset.generate(64, Split.TEST, 3, n);
        float[] values = new float[d.pixels().length];
        for (int i = 0; i < values.length; i++) {
            values[i] = org.diffusion4j.data.Batcher.toModelRange(d.pixels()[i]);
        }
        java.util.List<String> captions = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            captions.add(d.caption(i));
        }
        long[] shape = {n, 3, 64, 64};
        ShapesEvaluation.Scores scored = ShapesEvaluation.ofImages(new SampledImages(values, shape, null, 0, ClassCondition.NONE, captions), null);
        ShapesEvaluation.Scores real = ShapesEvaluation.ofRealImages(64, n, 3);
        assertEquals(real, scored);
        java.util.List<String> shifted = new java.util.ArrayList<>(captions.subList(1, n));
        shifted.add(captions.get(0));
        ShapesEvaluation.Scores wrong = ShapesEvaluation.ofImages(new SampledImages(values, shape, null, 0, ClassCondition.NONE, shifted), null);
        assertTrue(wrong.oneObject() < 0.5 * real.oneObject() && wrong.twoObject() < 0.5 * real.twoObject(), wrong.toString());
    }
}
