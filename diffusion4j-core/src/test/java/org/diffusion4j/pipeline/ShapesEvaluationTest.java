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
        assertTrue(real.twoParts() >= real.twoBound() && real.twoBound() >= real.twoObject(), "the two-object funnel narrows: " + real);
    }

    /**
     * The two-object funnel tells binding from drawing: real images asked for their captions with the two colours swapped
     * still hold the parts (the same shapes and colours), but only the pairs of one shape stay bound, and those lose the
     * relation.
     */
    @Test
    void swappedColoursKeepThePartsButLoseTheBinding() {
        int n = 200;
        ShapesDataset d = ShapesDataset.generate(32, Split.TEST, 7, n);
        float[] values = modelRange(d);
        java.util.List<String> swapped = new java.util.ArrayList<>();
        int sameShape = 0;
        for (int i = 0; i < n; i++) {
            Shapes.Scene scene = d.sceneAt(i);
            if (scene.items().size() == 1) {
                swapped.add(scene.caption());
                continue;
            }
            Shapes.Item a = scene.items().get(0);
            Shapes.Item b = scene.items().get(1);
            swapped.add("a " + b.colour().word() + " " + a.shape().word() + " " + scene.relation().words() + " a " + a.colour().word() + " "
                    + b.shape().word());
            sameShape += scene.items().get(0).shape() == scene.items().get(1).shape() ? 1 : 0;
        }
        long[] shape = {n, 3, 32, 32};
        ShapesEvaluation.Scores real = ShapesEvaluation.ofRealImages(32, n, 7);
        ShapesEvaluation.Scores s = ShapesEvaluation.ofImages(new SampledImages(values, shape, null, 0, ClassCondition.NONE, swapped), null);
        assertEquals(real.oneObject(), s.oneObject(), 0.0);
        assertEquals(real.twoParts(), s.twoParts(), 0.0, "the same shapes and colours are drawn");
        assertTrue(s.twoBound() <= (sameShape + 0.5) / (n / 2.0) && s.twoBound() < 0.5 * real.twoBound(), s + ", same-shape pairs " + sameShape);
        assertTrue(s.twoObject() < 0.05, "a same-shape pair with swapped colours has its relation reversed: " + s);
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
        float[] values = modelRange(d);
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

    /** The data set's 8-bit pixels in the model's range [−1, 1], as a sampler returns images. */
    private static float[] modelRange(ShapesDataset d) {
        float[] values = new float[d.pixels().length];
        for (int i = 0; i < values.length; i++) {
            values[i] = org.diffusion4j.data.Batcher.toModelRange(d.pixels()[i]);
        }
        return values;
    }
}
