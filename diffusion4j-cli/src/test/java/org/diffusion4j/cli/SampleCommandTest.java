package org.diffusion4j.cli;

import org.diffusion4j.diffusers.UNet2DConfigJson;

import org.diffusion4j.diffusers.UNet2DFolder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.io.Npy;
import org.diffusion4j.io.Tensors;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.pipeline.UNetDenoiser;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.Samplers;
import org.diffusion4j.sampling.SamplingListener;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end sampling on a model folder built from the diffusers fixture (a 16×16 RGB UNet). */
class SampleCommandTest {

    @TempDir
    Path dir;

    Path model;

    @BeforeEach
    void modelFolder() throws Exception {
        model = InfoCommandTest.modelFolder(dir);
    }

    private Cli sample(String... extra) {
        String[] base = {"sample", "--model", model.toString(), "--no-progress"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Cli.run(args);
    }

    /**
     * Two DDIM steps from a stored x_T: every output (grid, per-image files, raw tensor, GIF) is
     * written with the expected size, and the raw tensor equals the sampler called directly.
     */
    @Test
    void twoDdimStepsFromStoredNoiseWriteEveryOutputAndMatchTheSamplerCalledDirectly() throws Exception {
        Path xTFile = dir.resolve("xT.npy");
        Path raw = dir.resolve("x0.safetensors");
        Path grid = dir.resolve("grid.png");
        Path each = dir.resolve("each");
        Path gif = dir.resolve("traj.gif");
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xT = NoiseSource.seeded(42).normal(m, new ai.djl.ndarray.types.Shape(3, 3, 16, 16), 0);
            Npy.write(xTFile, xT);
            Cli r = sample("--sampler", "ddim", "--steps", "2", "--batch", "2", "--noise", xTFile.toString(),
                    "--out-raw", raw.toString(), "--out", grid.toString(), "--out-dir", each.toString(),
                    "--trajectory", gif.toString(), "--frame-ms", "500"); // 8 images asked, the first batch has 2
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.out().contains("3 images 16x16") && r.out().contains("ddim"), r.out());
            assertTrue(r.out().contains("wrote " + grid), r.out());

            // grid: 3 images → 2 columns × 2 rows of 16 px, padding 2, upscaled ×2 (images ≤ 32 px)
            BufferedImage g = ImageIO.read(grid.toFile());
            assertEquals((2 * 16 + 3 * 2) * 2, g.getWidth());
            assertEquals((2 * 16 + 3 * 2) * 2, g.getHeight());
            assertEquals(3, g.getRaster().getNumBands(), "the fixture model is RGB");

            // one file per image at the model's resolution
            for (String name : new String[] {"sample_00000.png", "sample_00001.png", "sample_00002.png"}) {
                assertEquals(16, ImageIO.read(each.resolve(name).toFile()).getWidth(), name);
            }
            assertFalse(Files.exists(each.resolve("sample_00003.png")));

            // GIF: 2 steps, then the last frame held for 1000/500 = 2 more frames; 2 images side by side
            try (ImageInputStream in = ImageIO.createImageInputStream(gif.toFile())) {
                ImageReader reader = ImageIO.getImageReadersByFormatName("gif").next();
                reader.setInput(in);
                assertEquals(2 + 2, reader.getNumImages(true));
                assertEquals((2 * 16 + 3 * 2) * 2, reader.read(0).getWidth());
                reader.dispose();
            }

            SchedulerConfig config = SchedulerConfig.read(model.resolve("scheduler/scheduler_config.json"));
            Sampler ddim = Samplers.create("ddim", config.noiseSchedule(), config.samplerOptions(2));
            try (UNet2DModel unet = UNet2DFolder.load(model.resolve("unet"), m)) {
                NDArray direct = ddim.sample(new UNetDenoiser(unet, config.predictionType()), xT,
                        NoiseSource.seeded(0), SamplingListener.NONE);
                NDArray viaCli = Tensors.read(raw, m);
                assertEquals(direct.getShape(), viaCli.getShape());
                float[] a = direct.toFloatArray();
                float[] b = viaCli.toFloatArray();
                double maxAbs = 0;
                double maxDiff = 0;
                for (int i = 0; i < a.length; i++) {
                    maxAbs = Math.max(maxAbs, Math.abs(a[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                }
                // the CLI ran batches of 2 + 1, the direct call one batch of 3: kernels may sum differently
                assertTrue(maxDiff <= 1e-5 * Math.max(1, maxAbs), "max diff " + maxDiff + " (max |x| " + maxAbs + ")");
            }
        }
    }

    @Test
    void imagesDoNotDependOnTheBatchSizeEvenForStochasticDdpm() throws Exception {
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        assertEquals(0, sample("--sampler", "ddpm", "--steps", "2", "-n", "2", "--batch", "2", "--seed", "7",
                "--out-raw", a.toString(), "--out", dir.resolve("a.png").toString()).exitCode());
        assertEquals(0, sample("--sampler", "ddpm", "--steps", "2", "-n", "2", "--batch", "1", "--seed", "7",
                "--out-raw", b.toString(), "--out", dir.resolve("b.png").toString()).exitCode());
        float[] x = Npy.read(a).floats();
        float[] y = Npy.read(b).floats();
        assertArrayEquals(x, y, 1e-4f, "same seed, different --batch");
        // the per-image noise streams differ: image 0 and image 1 are not the same picture
        int per = x.length / 2;
        double diff = 0;
        for (int i = 0; i < per; i++) {
            diff = Math.max(diff, Math.abs(x[i] - x[per + i]));
        }
        assertTrue(diff > 0.1, "images 0 and 1 differ");
    }

    @Test
    void classConditionalModelGivesEachImageItsClass() throws Exception {
        // the fixture UNet with 3 class embeddings, freshly initialised
        try (NDManager m = NDManager.newBaseManager()) {
            org.diffusion4j.nn.UNet2DConfig cfg = org.diffusion4j.diffusers.UNet2DConfigJson.read(model.resolve("unet/config.json"))
                    .toBuilder().optNumClassEmbeds(3).build();
            try (UNet2DModel unet = UNet2DModel.create(cfg, m, 1)) {
                UNet2DFolder.save(unet, model.resolve("unet"));
            }
        }
        Path a = dir.resolve("a.npy");
        Path b = dir.resolve("b.npy");
        assertEquals(0, sample("--steps", "2", "-n", "2", "--class", "0,1", "--out-raw", a.toString(),
                "--out", dir.resolve("a.png").toString()).exitCode());
        assertEquals(0, sample("--steps", "2", "-n", "2", "--class", "1", "--out-raw", b.toString(),
                "--out", dir.resolve("b.png").toString()).exitCode());
        float[] x = Npy.read(a).floats();
        float[] y = Npy.read(b).floats();
        int per = x.length / 2;
        double same = 0;
        double changed = 0;
        for (int i = 0; i < per; i++) {
            changed = Math.max(changed, Math.abs(x[i] - y[i]));               // image 0: class 0 vs class 1
            same = Math.max(same, Math.abs(x[per + i] - y[per + i]));         // image 1: class 1 in both runs
        }
        assertTrue(same < 1e-4, "image 1 has class 1 in both runs: " + same);
        assertTrue(changed > 1e-3, "image 0 changes with its class: " + changed);

        Cli r = sample("--steps", "1", "-n", "1", "--class", "3");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--class 3 is outside [0, 2]"), r.err());
    }

    @Test
    void everyRegisteredSamplerRunsFromTheCommandLine() throws Exception {
        for (String name : Samplers.names()) {
            Path raw = dir.resolve(name + ".npy");
            Cli r = sample("--sampler", name, "--steps", "2", "-n", "2", "--batch", "1", "--out-raw", raw.toString(),
                    "--out", dir.resolve(name + ".png").toString());
            assertEquals(0, r.exitCode(), name + ": " + r.err());
            float[] x = Npy.read(raw).floats();
            assertEquals(2 * 3 * 16 * 16, x.length, name);
            for (float v : x) {
                assertTrue(Float.isFinite(v), name + " gave a non-finite value");
            }
        }
    }

    @Test
    void aCountThatCannotFitInMemoryIsRefusedWithTheSize() {
        Cli r = sample("-n", "2000000000");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("-n 2,000,000,000") && r.err().contains("TiB") && r.err().contains("3x16x16"), r.err());

        Path bundled = Path.of(System.getProperty("diffusion4j.root", "..")).resolve("models/fashion-mnist-ddpm-uncond");
        r = Cli.run("eval", "--model", bundled.toString(), "--no-progress", "-n", "2000000000", "--metrics", "fd");
        assertEquals(1, r.exitCode(), r.err());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("-n 2,000,000,000"), r.err());
    }

    @Test
    void classOnAnUnconditionalModelIsRefused() {
        Cli r = sample("--steps", "1", "-n", "1", "--class", "0");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("unconditional"), r.err());
    }

    @Test
    void usageErrorsAreOneLine() throws Exception {
        Cli r = sample("--sampler", "nonesuch");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("nonesuch") && r.err().contains("ddim"), r.err());

        r = sample("--spacing", "sideways");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("sideways"), r.err());

        r = sample("--noise", dir.resolve("x.txt").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("*.npy or *.safetensors"), r.err());

        Path wrong = dir.resolve("wrong.npy");
        Npy.write(wrong, new float[2 * 1 * 8 * 8], 2, 1, 8, 8);
        r = sample("--noise", wrong.toString());
        assertEquals(1, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("wrong.npy") && r.err().contains("[2, 1, 8, 8]") && r.err().contains("[N, 3, 16, 16]"), r.err());
    }

    @Test
    void missingModelFolderSaysWhatToDo() {
        Path nowhere = dir.resolve("no-model");
        Cli r = Cli.run("sample", "--model", nowhere.toString(), "--no-progress");
        assertNotEquals(0, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("no-model"), r.err());

        String old = System.getProperty(RepoRoot.PROPERTY);
        System.setProperty(RepoRoot.PROPERTY, dir.toString());
        try {
            r = Cli.run("sample", "--no-progress");
            assertNotEquals(0, r.exitCode());
            assertTrue(r.err().contains(SampleCommand.DEFAULT_MODEL) && r.err().contains("--model"), r.err());
        } finally {
            if (old == null) {
                System.clearProperty(RepoRoot.PROPERTY);
            } else {
                System.setProperty(RepoRoot.PROPERTY, old);
            }
        }
    }
}
