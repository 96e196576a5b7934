package org.diffusion4j.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.diffusion4j.diffusers.AutoencoderKLFolder;
import org.diffusion4j.io.SafeTensors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * AutoencoderKL against diffusers on the fixture (block_out_channels [16, 24], 4 latent channels, 16×16 images):
 * the encoder's moments, mean, log-variance and std, the decoder's image, and every recorded intermediate.
 */
@Tag("kernel")
class AutoencoderKLParityTest {

    static final Path FIXTURE = ClipTokenizerTest.FIXTURE;

    @Test
    void encodesAndDecodesAsDiffusers() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = AutoencoderKLFolder.load(FIXTURE.resolve("vae"), m)) {
            assertEquals(0.18215, vae.config().scalingFactor(), 1e-9);
            assertEquals(2, vae.config().downsampleFactor());
            SafeTensors io = SafeTensors.read(FIXTURE.resolve("reference/vae_io.safetensors"));
            SafeTensors acts = SafeTensors.read(FIXTURE.resolve("reference/vae_intermediates.safetensors"));
            Map<String, NDArray> recorded = new HashMap<>();
            AutoencoderKL.LatentDistribution d = vae.encode(io.toNDArray("image", m), recorded::put);
            ClipTextModelParityTest.assertClose(io.toNDArray("mean", m), d.mean(), "mean");
            ClipTextModelParityTest.assertClose(io.toNDArray("logvar", m), d.logvar(), "logvar");
            ClipTextModelParityTest.assertClose(io.toNDArray("std", m), d.std(), "std");
            NDArray decoded = vae.decode(io.toNDArray("mean", m), recorded::put);
            ClipTextModelParityTest.assertClose(io.toNDArray("decoded_mean", m), decoded, "decoded_mean");
            int checked = ClipTextModelParityTest.assertIntermediates(acts, recorded, m);
            assertTrue(checked >= 9, "intermediates compared: " + checked);
        }
    }
}
