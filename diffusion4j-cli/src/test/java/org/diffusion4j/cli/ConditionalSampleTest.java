package org.diffusion4j.cli;

import org.diffusion4j.diffusers.UNet2DFolder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.io.Npy;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.pipeline.BatchedSampling;
import org.diffusion4j.pipeline.ClassCondition;
import org.diffusion4j.pipeline.DiffusionPipeline;
import org.diffusion4j.pipeline.UNetDenoiser;
import org.diffusion4j.sampling.GuidedDenoiser;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.Samplers;
import org.diffusion4j.sampling.SamplingListener;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sample} on a tiny random class-conditional model (8×8 gray, id2label with 3 names, num_class_embeds 4,
 * so class 3 is the null class): the one-row-per-class grid, --class names, and guidance checked against the
 * network called directly.
 */
class ConditionalSampleTest {

    static final List<String> NAMES = List.of("Sneaker", "T-shirt/top", "Ankle boot");
    static final long NULL = 3;
    static final int SIZE = 8;

    @TempDir
    Path dir;

    Path model;

    @BeforeEach
    void modelFolder() throws Exception {
        model = QualityFixtures.tinyConditionalModel(dir, "cond", SIZE, NAMES, 4, 10);
    }

    private Cli sample(String... extra) {
        String[] base = {"sample", "--model", model.toString(), "--no-progress", "--sampler", "ddim", "--steps", "2"};
        String[] args = Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        return Cli.run(args);
    }

    private float[] raw(String name, String... extra) throws Exception {
        Path file = dir.resolve(name + ".npy");
        String[] args = Arrays.copyOf(extra, extra.length + 4);
        args[extra.length] = "--out-raw";
        args[extra.length + 1] = file.toString();
        args[extra.length + 2] = "--out";
        args[extra.length + 3] = dir.resolve(name + ".png").toString();
        Cli r = sample(args);
        assertEquals(0, r.exitCode(), r.err());
        return Npy.read(file).floats();
    }

    /** Two DDIM steps from the seeded x_T of n images with {@code denoiser} (η = 0: no sampler noise). */
    private float[] direct(int n, DenoiserFactory denoiser) throws Exception {
        SchedulerConfig config = DiffusionPipeline.readScheduler(model);
        Sampler s = Samplers.create("ddim", config.noiseSchedule(), config.samplerOptions(2));
        try (NDManager m = NDManager.newBaseManager(); UNet2DModel unet = UNet2DFolder.load(model.resolve("unet"), m)) {
            NDArray xT = BatchedSampling.seededNoise(m, n, new long[] {1, SIZE, SIZE}, 0);
            return s.sample(denoiser.create(unet), xT, NoiseSource.seeded(0), SamplingListener.NONE).toFloatArray();
        }
    }

    @FunctionalInterface
    interface DenoiserFactory {
        Denoiser create(UNet2DModel unet);
    }

    /** ε under fixed labels, one network call. */
    static Denoiser conditional(UNet2DModel unet, long[] labels) {
        return Denoiser.of(PredictionType.EPSILON, (x, t) -> unet.predict(x, x.getManager().create((float) t), x.getManager().create(labels)));
    }

    /** ε(∅) + w (ε(c) − ε(∅)) from two separate network calls. */
    static Denoiser guided(UNet2DModel unet, long[] labels, double w) {
        long[] none = new long[labels.length];
        Arrays.fill(none, NULL);
        return Denoiser.of(PredictionType.EPSILON, (x, t) -> {
            NDArray c = conditional(unet, labels).predict(x, t);
            NDArray u = conditional(unet, none).predict(x, t);
            return u.add(c.sub(u).mul((float) w));
        });
    }

    static double maxDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    /**
     * No -n: 3 rows of 8, row r all class r, with the default guidance 2 (the model has a null class): the images
     * equal two DDIM steps with ε(∅) + 2 (ε(c) − ε(∅)) computed directly, and not those with the classes in turn.
     */
    @Test
    void defaultGridIsOneRowPerClassWithGuidance() throws Exception {
        float[] cli = raw("grid");
        assertEquals(24 * SIZE * SIZE, cli.length, "3 classes x 8 images");
        long[] rows = new long[24];
        long[] turns = new long[24];
        for (int i = 0; i < 24; i++) {
            rows[i] = i / 8;
            turns[i] = i % 3;
        }
        float[] expected = direct(24, unet -> guided(unet, rows, 2.0));
        assertTrue(maxDiff(cli, expected) < 1e-4, "one row per class, w = 2: " + maxDiff(cli, expected));
        float[] otherLayout = direct(24, unet -> guided(unet, turns, 2.0));
        assertTrue(maxDiff(cli, otherLayout) > 1e-3, "the labels matter: " + maxDiff(cli, otherLayout));
        float[] conditionalOnly = direct(24, unet -> conditional(unet, rows));
        assertTrue(maxDiff(cli, conditionalOnly) > 1e-3, "the default guidance is not 1: " + maxDiff(cli, conditionalOnly));

        Cli r = sample("--out", dir.resolve("again.png").toString());
        assertTrue(r.out().contains("24 images 8x8") && r.out().contains("one row per class")
                && r.out().contains("guidance w = 2") && r.out().contains("null class (id 3"), r.out());

        // scale 2, padding 2: 8 columns of 16 px and 9 gaps of 4 px; 3 rows; plus the label band
        BufferedImage labelled = ImageIO.read(dir.resolve("grid.png").toFile());
        int font = 1;
        int band = TinyFont.width("1 T-SHIRT/TOP", font) + 6 * font; // the widest label
        assertEquals(8 * 16 + 9 * 4 + band, labelled.getWidth());
        assertEquals(3 * 16 + 4 * 4, labelled.getHeight());
        int dark = 0;
        for (int y = 0; y < labelled.getHeight(); y++) {
            for (int x = 0; x < band; x++) {
                dark += (labelled.getRaster().getSample(x, y, 0) == 0) ? 1 : 0;
            }
        }
        assertTrue(dark > 30, "the band holds text: " + dark + " black pixels");

        assertEquals(0, sample("--no-row-labels", "--out", dir.resolve("plain.png").toString()).exitCode());
        BufferedImage plain = ImageIO.read(dir.resolve("plain.png").toFile());
        assertEquals(8 * 16 + 9 * 4, plain.getWidth());
        for (int y = 0; y < plain.getHeight(); y++) {
            for (int x = 0; x < plain.getWidth(); x++) {
                if (plain.getRaster().getSample(x, y, 0) != labelled.getRaster().getSample(x + band, y, 0)) {
                    throw new AssertionError("the labelled grid is the plain grid moved right by the band, at " + x + "," + y);
                }
            }
        }
    }

    /** w = 1 is the conditional model alone and w = 0 the null class alone, exactly; w = 3 is their affine mix. */
    @Test
    void guidanceOneIsConditionalAndZeroUnconditional() throws Exception {
        long[] labels = {0, 2, 0, 2};
        long[] none = {NULL, NULL, NULL, NULL};
        float[] one = raw("w1", "--class", "0,2", "-n", "4", "--guidance", "1");
        assertArrayEquals(direct(4, unet -> conditional(unet, labels)), one, "w = 1");
        float[] zero = raw("w0", "--class", "0,2", "-n", "4", "--guidance", "0");
        assertArrayEquals(direct(4, unet -> conditional(unet, none)), zero, "w = 0");
        float[] three = raw("w3", "--class", "0,2", "-n", "4", "--guidance", "3");
        double d = maxDiff(three, direct(4, unet -> guided(unet, labels, 3)));
        assertTrue(d < 1e-4, "w = 3: " + d);
        assertTrue(maxDiff(one, zero) > 1e-3 && maxDiff(one, three) > 1e-3, "the three differ");
    }

    /** The same denoisers at the level of one network call: GuidedDenoiser on UNetDenoiser as built by ClassCondition. */
    @Test
    void classConditionBuildsTheGuidedDenoiser() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); UNet2DModel unet = UNet2DFolder.load(model.resolve("unet"), m)) {
            NDArray x = BatchedSampling.seededNoise(m, 3, new long[] {1, SIZE, SIZE}, 4);
            long[] labels = {2, 0, 1};
            float[] c = conditional(unet, labels).predict(x, 7).toFloatArray();
            float[] u = conditional(unet, new long[] {NULL, NULL, NULL}).predict(x, 7).toFloatArray();
            ClassCondition w1 = new ClassCondition(labels, NULL, 1);
            assertArrayEquals(c, w1.denoiser(unet, PredictionType.EPSILON, 0, 3).predict(x, 7).toFloatArray());
            assertArrayEquals(c, GuidedDenoiser.classConditional(new UNetDenoiser(unet, PredictionType.EPSILON), labels, NULL, 1)
                    .predict(x, 7).toFloatArray(), "GuidedDenoiser at w = 1 is one conditional call");
            assertArrayEquals(u, new ClassCondition(labels, NULL, 0).denoiser(unet, PredictionType.EPSILON, 0, 3).predict(x, 7).toFloatArray());
            float[] g = new ClassCondition(labels, NULL, 2.5).denoiser(unet, PredictionType.EPSILON, 0, 3).predict(x, 7).toFloatArray();
            for (int i = 0; i < g.length; i++) {
                assertEquals(u[i] + 2.5f * (c[i] - u[i]), g[i], 1e-4, "element " + i);
            }
            float[] sub = new ClassCondition(new long[] {1, 2, 0, 1}, NULL, 1).denoiser(unet, PredictionType.EPSILON, 1, 4)
                    .predict(x, 7).toFloatArray();
            assertArrayEquals(c, sub, "images [1, 4) get labels 2, 0, 1");
            assertEquals(2, new ClassCondition(labels, NULL, 2.5).inputsPerEvaluation());
            assertEquals(1, new ClassCondition(labels, NULL, 0).inputsPerEvaluation());
        }
    }

    @Test
    void classNamesAndIdsGiveTheSameImages() throws Exception {
        float[] byName = raw("names", "--class", "t-shirt/top,ANKLE-BOOT", "-n", "2", "--guidance", "1");
        float[] byId = raw("ids", "--class", "1,2", "-n", "2", "--guidance", "1");
        assertArrayEquals(byId, byName);
        float[] single = raw("single", "--class", "Sneaker", "--guidance", "1");
        assertEquals(64 * SIZE * SIZE, single.length, "one class and no -n: 8 rows of 8");
    }

    @Test
    void badClassesAndGuidanceAreOneLineErrors() throws Exception {
        Cli r = sample("--class", "boots");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("'boots'") && r.err().contains("0 Sneaker, 1 T-shirt/top, 2 Ankle boot"), r.err());

        r = sample("--class", "3");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--class 3 is outside [0, 2]"), "the null class cannot be asked for: " + r.err());

        r = sample("--guidance", "-1");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--guidance takes finite scales >= 0"), r.err());

        r = sample("--guidance", "1,2");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("one scale here"), r.err());

        r = sample("--guidance", "x");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());

        // a model without a null class: no guidance but w = 1, which is its default
        Path noNull = QualityFixtures.tinyConditionalModel(dir, "nonull", SIZE, List.of(), 3, 10);
        r = Cli.run("sample", "--model", noNull.toString(), "--no-progress", "--steps", "1", "--guidance", "2");
        assertEquals(2, r.exitCode());
        assertEquals(1, r.errLines().length, r.err());
        assertTrue(r.err().contains("needs a null class") && r.err().contains("num_class_embeds 3"), r.err());
        r = Cli.run("sample", "--model", noNull.toString(), "--no-progress", "--steps", "1", "-n", "3",
                "--out", dir.resolve("nonull.png").toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("conditional (w = 1)") && r.out().contains("no null class"), r.out());
        r = Cli.run("sample", "--model", noNull.toString(), "--no-progress", "--steps", "1", "-n", "1", "--class", "sneaker");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("no class names"), r.err());

        // an unconditional model
        Path uncond = QualityFixtures.tinyModel(dir, "uncond", 10);
        r = Cli.run("sample", "--model", uncond.toString(), "--no-progress", "--steps", "1", "-n", "1", "--guidance", "2");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("unconditional"), r.err());
    }
}
