package org.diffusion4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.diffusion4j.io.ImageGrid;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Editing through the front door, on a tiny random 8×8 model: what a request with an {@link ImageEdit} promises. */
class ImageEditTest {

    static final int SIZE = DiffusionPipelineTest.SIZE;

    @TempDir
    static Path dir;

    static Path model;

    @BeforeAll
    static void folder() throws IOException {
        model = DiffusionPipelineTest.tinyModel(dir.resolve("uncond"), null, List.of());
    }

    /** Two 8×8 gray images: a gradient and its negative. */
    static float[] images() {
        float[] v = new float[2 * SIZE * SIZE];
        for (int i = 0; i < SIZE * SIZE; i++) {
            v[i] = -1 + 2f * i / (SIZE * SIZE - 1);
            v[SIZE * SIZE + i] = -v[i];
        }
        return v;
    }

    static final long[] SHAPE = {2, 1, SIZE, SIZE};

    @Test
    void inpaintingKeepsTheKnownPixelsOfEveryImageAndDoesNotDependOnTheBatch() throws IOException {
        float[] mask = Masks.named(SIZE, SIZE, "centre");
        float[] twoMasks = new float[2 * SIZE * SIZE];
        System.arraycopy(mask, 0, twoMasks, 0, mask.length);
        System.arraycopy(mask, 0, twoMasks, mask.length, mask.length);
        for (ImageEdit edit : new ImageEdit[] {ImageEdit.blend(images(), SHAPE, twoMasks),
            ImageEdit.repaint(images(), SHAPE, twoMasks, 2, 2)}) {
            try (DiffusionPipeline pipe = DiffusionPipeline.load(model)) {
                SampleRequest request = SampleRequest.of(5, 3).withSampler("ddpm", 6).withEdit(edit);
                float[] all = pipe.sample(request, SampleListener.NONE).values();
                float[] oneByOne = pipe.sample(request.withBatch(1), SampleListener.NONE).values();
                // a batch of another size may round differently in the kernels, nothing more
                assertArrayEquals(all, oneByOne, 1e-5f, edit.method() + ": image i depends on i, not on the batch");
                float[] source = images();
                int per = SIZE * SIZE;
                boolean changed = false;
                for (int img = 0; img < 5; img++) {
                    for (int p = 0; p < per; p++) {
                        float original = source[(img % 2) * per + p];
                        if (mask[p] == 0) {
                            assertEquals(ImageGrid.toByte(original), ImageGrid.toByte(all[img * per + p]), edit.method() + " image " + img);
                        } else {
                            changed |= Math.abs(all[img * per + p] - original) > 0.05;
                        }
                    }
                }
                assertTrue(changed, edit.method() + ": the masked region is repainted");
            }
        }
    }

    @Test
    void sdEditRunsTheLastStepsAndStrengthMatters() throws IOException {
        try (DiffusionPipeline pipe = DiffusionPipeline.load(model)) {
            SampleRequest base = SampleRequest.of(2, 0).withSampler("ddim", 20);
            SampleRequest weak = base.withEdit(ImageEdit.sdEdit(images(), SHAPE, 0.1));
            SampleRequest strong = base.withEdit(ImageEdit.sdEdit(images(), SHAPE, 0.9));
            assertEquals(2, pipe.evaluations(weak));
            assertEquals(18, pipe.evaluations(strong));
            float[] w = pipe.sample(weak, SampleListener.NONE).values();
            float[] s = pipe.sample(strong, SampleListener.NONE).values();
            assertTrue(distance(w, images()) < distance(s, images()), "a weak edit stays closer to the input");
            assertNotEquals(distance(w, images()), 0.0);
        }
    }

    @Test
    void refusesWhatCannotWorkNamingTheFix() throws IOException {
        float[] mask = new float[2 * SIZE * SIZE];
        mask[0] = 1;
        try (DiffusionPipeline pipe = DiffusionPipeline.load(model)) {
            SampleRequest r = SampleRequest.of(2, 0);
            String m = assertThrows(IllegalArgumentException.class, () -> pipe.sample(r.withSampler("euler", 5)
                    .withEdit(ImageEdit.repaint(images(), SHAPE, mask, 2, 2)), SampleListener.NONE)).getMessage();
            assertTrue(m.contains("--sampler ddpm") && m.contains("--method blend"), m);
            m = assertThrows(IllegalArgumentException.class, () -> pipe.sample(r.withSampler("pc", 5)
                    .withEdit(ImageEdit.sdEdit(images(), SHAPE, 0.5)), SampleListener.NONE)).getMessage();
            assertTrue(m.contains("--sampler pc") && m.contains("dpm-solver++"), m);
            ImageEdit big = ImageEdit.sdEdit(new float[3 * 16 * 16], new long[] {1, 3, 16, 16}, 0.5);
            m = assertThrows(IllegalArgumentException.class, () -> pipe.sample(r.withEdit(big), SampleListener.NONE)).getMessage();
            assertTrue(m.contains("3x16x16") && m.contains("1x8x8"), m);
        }
        assertThrows(IllegalArgumentException.class, () -> ImageEdit.sdEdit(images(), SHAPE, 0));
        assertThrows(IllegalArgumentException.class, () -> ImageEdit.repaint(images(), SHAPE, mask, 0, 1));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Masks.box(8, 8, "1,2,3")).getMessage().contains("x,y,w,h"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Masks.box(8, 8, 4, 4, 5, 2)).getMessage().contains("inside"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> Masks.box(8, 8, 0, 0, 8, 8)).getMessage().contains("whole"));
    }

    /**
     * A latent text model (the diffusers fixture StableDiffusionPipeline, 16×16 RGB, 8×8×4 latents): the images are
     * encoded, edited in latent space and decoded; inpainting puts the kept pixels back exactly.
     */
    @Test
    void latentModelsEditTheirLatentsAndKeepThePixels() throws IOException {
        Path fixture = Path.of("src/test/resources/fixtures/diffusers-t2i");
        long[] shape = {1, 3, 16, 16};
        float[] image = new float[3 * 16 * 16];
        for (int i = 0; i < image.length; i++) {
            image[i] = (float) Math.cos(i * 0.1);
        }
        float[] mask = Masks.named(16, 16, "left");
        try (DiffusionPipeline pipe = DiffusionPipeline.load(fixture)) {
            SampleRequest r = SampleRequest.of(2, 0).withSampler("ddim", 4).withPrompts(List.of("a cat"));
            SampledImages inpainted = pipe.sample(r.withEdit(ImageEdit.blend(image, shape, mask)), SampleListener.NONE);
            assertArrayEquals(new long[] {2, 3, 16, 16}, inpainted.shape());
            int plane = 16 * 16;
            boolean changed = false;
            for (int img = 0; img < 2; img++) {
                for (int p = 0; p < image.length; p++) {
                    float v = inpainted.values()[img * image.length + p];
                    if (mask[p % plane] == 0) {
                        assertEquals(image[p], v, 0f, "kept pixel " + p);
                    } else {
                        changed |= Math.abs(v - image[p]) > 0.05;
                    }
                }
            }
            assertTrue(changed, "the left half is repainted");
            SampledImages edited = pipe.sample(r.withEdit(ImageEdit.sdEdit(image, shape, 0.5)), SampleListener.NONE);
            assertArrayEquals(new long[] {2, 3, 16, 16}, edited.shape());
            assertEquals(2, pipe.evaluations(r.withEdit(ImageEdit.sdEdit(image, shape, 0.5))));
        }
    }

    private static double distance(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d += (a[i] - b[i]) * (a[i] - b[i]);
        }
        return d;
    }
}
