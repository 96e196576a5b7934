package org.diffusion4j.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.diffusion4j.diffusers.ClipTextFolder;
import org.diffusion4j.diffusers.ClipTokenizerFolder;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusers.UNet2DConditionFolder;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.io.SafeTensors;
import org.diffusion4j.nn.ClipTextModel;
import org.diffusion4j.nn.UNet2DConditionModel;
import org.diffusion4j.sampling.GuidedDenoiser;
import org.diffusion4j.sampling.Sampler;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * StableDiffusionPipeline's text-to-latent loop, replayed from the fixture's folder with this toolkit's parts:
 * our tokenizer and text encoder give the prompt embeddings, our cross-attention U-Net under classifier-free
 * guidance (w = 3, negative prompt "") and our DDIM (10 steps, leading spacing, steps_offset 1) give every
 * step's latents and the final latents diffusers computed.
 */
@Tag("kernel")
class TextToImageLoopTest {

    static final Path FIXTURE = Path.of("src/test/resources/fixtures/diffusers-t2i");
    static final List<String> PROMPTS = List.of("a red circle above a blue square",
            "a small green triangle, left of a large yellow cross");

    @Test
    void guidedDdimOnTextMatchesDiffusersStepByStep() throws IOException {
        try (NDManager m = NDManager.newBaseManager();
                ClipTextModel encoder = ClipTextFolder.load(FIXTURE.resolve("text_encoder"), m);
                UNet2DConditionModel unet = UNet2DConditionFolder.load(FIXTURE.resolve("unet"), m)) {
            SafeTensors ref = SafeTensors.read(FIXTURE.resolve("reference/pipeline.safetensors"));
            TextEncoding text = new TextEncoding(ClipTokenizerFolder.load(FIXTURE.resolve("tokenizer")), encoder);
            // the encoder_hidden_states of every U-Net call: negative half first
            float[] expectedEmbeds = ref.toNDArray("prompt_embeds", m).toFloatArray();
            float[] negative = text.encode(List.of("", ""), m);
            float[] positive = text.encode(PROMPTS, m);
            assertClose(expectedEmbeds, concat(negative, positive), 1e-5, "prompt_embeds");

            SchedulerConfig config = SchedulerConfig.read(FIXTURE.resolve("scheduler/scheduler_config.json"));
            Sampler ddim = DiffusionPipeline.sampler(config, "ddim", 10, null);
            GuidedDenoiser guided = text.guided(new TextUNetDenoiser(unet, config.predictionType()), PROMPTS, List.of("", ""),
                    3.0, m);
            NDArray xT = ref.toNDArray("x_T", m);
            List<float[]> steps = new ArrayList<>();
            NDArray result = ddim.sample(guided, xT, NoiseSource.seeded(0), (step, total, t, xt, x0) -> steps.add(xt.toFloatArray()));
            float[] latents = ref.toNDArray("latents", m).toFloatArray();
            int per = (int) xT.size();
            assertEquals(10, steps.size());
            for (int i = 0; i < 10; i++) {
                float[] expected = java.util.Arrays.copyOfRange(latents, (i + 1) * per, (i + 2) * per);
                assertClose(expected, steps.get(i), 2e-4, "latents after step " + i);
            }
            assertClose(ref.toNDArray("final_latents", m).toFloatArray(), result.toFloatArray(), 2e-4, "final_latents");
        }
    }

    private static float[] concat(float[] a, float[] b) {
        float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Max abs error below {@code tol} (the fixture's float64 rerun differs by 1.8e-5 on latents up to 31). */
    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + " size");
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            max = Math.max(max, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(max < tol, what + ": max abs error " + max);
    }

    @Test
    void theFixtureFolderSamplesThroughTheFrontDoorToDiffusersImages() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); DiffusionPipeline pipe = DiffusionPipeline.load(FIXTURE, m)) {
            assertTrue(pipe.isText());
            assertEquals(List.of(4L, 8L, 8L), java.util.Arrays.stream(pipe.latentShape()).boxed().toList());
            assertEquals(List.of(3L, 16L, 16L), java.util.Arrays.stream(pipe.imageShape()).boxed().toList());
            SafeTensors ref = SafeTensors.read(FIXTURE.resolve("reference/pipeline.safetensors"));
            SampleRequest r = SampleRequest.of(2, 0).withSampler("ddim", 10).withGuidance(3).withPrompts(PROMPTS)
                    .withNegativePrompts(List.of(""));
            SampledImages images = pipe.sample(r, ref.toNDArray("x_T", m), SampleListener.NONE);
            assertEquals(PROMPTS, images.prompts());
            // decoded = vae.decode(final_latents / scaling_factor), in [-1, 1] before the pipeline's clamp
            assertClose(ref.toNDArray("decoded", m).toFloatArray(), images.values(), 5e-4, "decoded");
            // seeded noise: deterministic, and the same images in batches of one
            float[] a = pipe.sample(r.withN(3), SampleListener.NONE).values();
            float[] b = pipe.sample(r.withN(3).withBatch(1), SampleListener.NONE).values();
            assertClose(a, b, 1e-5, "batch size changes nothing");
            String e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> pipe.sample(SampleRequest.of(1, 0), SampleListener.NONE)).getMessage();
            assertTrue(e.startsWith("--prompt: the model is text-conditional"), e);
        }
    }

    @Test
    void aSliceOfATextRequestIsThoseImagesOfTheWholeRequest() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); DiffusionPipeline pipe = DiffusionPipeline.load(FIXTURE, m)) {
            // 6 images, 3 prompts in turn (image i takes prompts[i mod 3]), batches of 2: the batch [2, 4) made alone
            SampleRequest r = SampleRequest.of(6, 4).withSampler("ddim", 2).withBatch(2)
                    .withPrompts(List.of("a red circle", "a blue square", "a green triangle"));
            SampledImages all = pipe.sample(r, SampleListener.NONE);
            SampledImages slice = pipe.sample(r.withN(2), 2, SampleListener.NONE);
            int per = 3 * 16 * 16;
            org.junit.jupiter.api.Assertions.assertArrayEquals(java.util.Arrays.copyOfRange(all.values(), 2 * per, 4 * per), slice.values(),
                    "bit for bit: x_T draws, noise streams and prompts of images 2 and 3");
            assertEquals(List.of("a green triangle", "a red circle"), slice.prompts());
        }
    }
}
