package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.diffusion4j.data.ShapesDataset;
import org.diffusion4j.data.Split;
import org.diffusion4j.diffusers.AutoencoderKLFolder;
import org.diffusion4j.nn.AutoencoderKL;
import org.diffusion4j.nn.AutoencoderKLConfig;
import org.diffusion4j.nn.ConvolutionAudit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The auto-encoder's trainer on 16×16 shapes with odd channel counts after poisoning libtorch's memory: the KL term in
 * closed form, reconstruction that improves and is reproducible, LDM's scaling factor, and the diffusers folder round trip.
 */
@Tag("kernel")
class VaeTrainerTest {

    /** Odd widths (3 → 5 → 7 channels per level) so no oneDNN block is full; factor 2. */
    static final AutoencoderKLConfig CONFIG = new AutoencoderKLConfig(3, 3, 3, new int[] {5, 7}, 1, 1, 16, 1.0, true);

    @TempDir
    Path dir;

    @Test
    void klIsTheClosedFormSummedOverTheLatentAndAveragedOverTheBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] mu = {0.5f, -1f, 0f, 2f};
            float[] logvar = {0f, -1f, 1f, 0.5f};
            AutoencoderKL.LatentDistribution q = new AutoencoderKL.LatentDistribution(m.create(mu).reshape(2, 2, 1, 1),
                    m.create(logvar).reshape(2, 2, 1, 1));
            double expected = 0;
            for (int i = 0; i < 4; i++) {
                expected += 0.5 * (mu[i] * mu[i] + Math.exp(logvar[i]) - 1 - logvar[i]) / 2; // two images
            }
            assertEquals(expected, VaeTrainer.klDivergence(q).getFloat(), 1e-6);
        }
    }

    @Test
    void trainingReconstructsBetterReproduciblyAndSavesADiffusersFolder() throws Exception {
        ShapesDataset data = ShapesDataset.generate(16, Split.TRAIN, 0, 256);
        double[] first = run(data, dir.resolve("a"));
        double[] second = run(data, dir.resolve("b"));
        System.out.printf("auto-encoder on shapes-16: L1 %.4f -> %.4f in 60 steps, PSNR %.2f dB, scaling factor %.4f%n",
                first[0], first[1], first[2], first[3]);
        assertTrue(first[1] < 0.6 * first[0], "reconstruction loss " + first[0] + " -> " + first[1]);
        assertArrayEquals(first, second, 0.0, "same seed, same run");
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL loaded = AutoencoderKLFolder.load(dir.resolve("a"), m)) {
            assertEquals(first[3], loaded.config().scalingFactor(), 1e-12, "scaling_factor written to config.json");
            assertEquals(CONFIG.withScalingFactor(first[3]), loaded.config());
            // the scaled latents of the data have unit standard deviation: what the factor is for
            double again = VaeTrainer.scalingFactor(loaded, data, 128, 3, m);
            assertEquals(1.0, again / first[3], 1e-5, "the saved weights give the same latents");
            VaeTrainer.Reconstructions r = VaeTrainer.reconstruct(loaded, data, 64, m);
            assertEquals(first[2], r.psnr(), 1e-6, "the saved weights reconstruct the same");
        }
    }

    /** {first 10 steps' mean reconstruction loss, last 10 steps', PSNR on 64 images, scaling factor}. */
    private static double[] run(ShapesDataset data, Path out) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            ConvolutionAudit.poison(m, 5);
            try (AutoencoderKL model = AutoencoderKL.create(CONFIG, m, 11)) {
                VaeTrainer t = new VaeTrainer(model, data, new VaeTrainer.Options(16, 2e-3, 1e-6, VaeTrainer.Reconstruction.L1, 1), m);
                double start = 0;
                double end = 0;
                for (int s = 0; s < 60; s++) {
                    double rec = t.trainStep().reconstruction();
                    start += s < 10 ? rec / 10 : 0;
                    end += s >= 50 ? rec / 10 : 0;
                }
                double factor = VaeTrainer.scalingFactor(model, data, 128, 3, m);
                double psnr = VaeTrainer.reconstruct(model, data, 64, m).psnr();
                AutoencoderKLFolder.save(model, CONFIG.withScalingFactor(factor), out);
                return new double[] {start, end, psnr, factor};
            }
        }
    }

    @Test
    void refusesDataTheAutoencoderCannotTake() {
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL model = AutoencoderKL.create(CONFIG, m, 1)) {
            ShapesDataset odd = ShapesDataset.generate(17, Split.TRAIN, 0, 4);
            assertThrows(IllegalArgumentException.class,
                    () -> new VaeTrainer(model, odd, new VaeTrainer.Options(2, 1e-3, 0, VaeTrainer.Reconstruction.L2, 0), m));
            assertThrows(IllegalArgumentException.class, () -> new VaeTrainer.Options(2, -1, 0, VaeTrainer.Reconstruction.L2, 0));
            assertThrows(IllegalArgumentException.class, () -> VaeTrainer.Reconstruction.parse("l3"));
        }
    }
}
