package org.diffusion4j.pipeline;

import org.diffusion4j.diffusers.UNet2DFolder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusers.SchedulerConfig;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.nn.UNet2DConfig;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.sampling.GuidedDenoiser;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.SamplingListener;
import org.diffusion4j.schedule.BetaSchedule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The front door on tiny random models (8×8 gray): a class-conditional one (3 named classes and a null
 * class) and an unconditional one. Checked against the sampler driven by hand, and for what a request
 * promises: image i depends only on (model, settings, seed, i).
 */
class DiffusionPipelineTest {

    static final int SIZE = 8;
    static final List<String> NAMES = List.of("Sneaker", "T-shirt/top", "Ankle boot");

    @TempDir
    static Path dir;

    static Path conditional;
    static Path unconditional;

    @BeforeAll
    static void folders() throws IOException {
        conditional = tinyModel(dir.resolve("cond"), 4, NAMES);
        unconditional = tinyModel(dir.resolve("uncond"), null, List.of());
    }

    /** A random 8×8 gray U-Net folder in the diffusers layout; {@code numClassEmbeds} null for an unconditional one. */
    static Path tinyModel(Path root, Integer numClassEmbeds, List<String> names) throws IOException {
        ModelFolder folder = new ModelFolder(root);
        UNet2DConfig config = UNet2DConfig.builder().setSampleSize(SIZE).setInChannels(1).setOutChannels(1)
                .setBlockOutChannels(8, 16)
                .setDownBlockTypes(UNet2DConfig.DownBlockType.DOWN_BLOCK_2D, UNet2DConfig.DownBlockType.DOWN_BLOCK_2D)
                .setUpBlockTypes(UNet2DConfig.UpBlockType.UP_BLOCK_2D, UNet2DConfig.UpBlockType.UP_BLOCK_2D)
                .optLayersPerBlock(1).optNormNumGroups(4).optAttentionHeadDim(null).optNumClassEmbeds(numClassEmbeds)
                .build();
        try (NDManager m = NDManager.newBaseManager(); UNet2DModel unet = UNet2DModel.create(config, m, 11)) {
            UNet2DFolder.save(unet, folder.unetDir());
        }
        Files.createDirectories(folder.schedulerConfigFile().getParent());
        SchedulerConfig.ddpmDefaults(BetaSchedule.LINEAR, 100, 1e-4, 0.02, PredictionType.EPSILON).write(folder.schedulerConfigFile());
        if (names.isEmpty()) {
            folder.writeModelIndex();
        } else {
            folder.writeModelIndex(names);
        }
        return root;
    }

    @Test
    void loadsTheFolder() throws IOException {
        try (DiffusionPipeline pipe = DiffusionPipeline.load(conditional)) {
            assertArrayEquals(new long[] {1, SIZE, SIZE}, pipe.imageShape());
            assertEquals(NAMES, pipe.classes().names());
            assertEquals(3, pipe.classes().nullLabel());
            assertEquals(100, pipe.scheduler().numTrainTimesteps());
        }
    }

    @Test
    void aFolderWithoutAUnetIsRefusedNamingWhatIsMissing() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> DiffusionPipeline.load(empty));
        assertTrue(e.getMessage().contains("unet/config.json") || e.getFile().endsWith("config.json"), e.getMessage());
        assertThrows(NoSuchFileException.class, () -> DiffusionPipeline.load(dir.resolve("nowhere")));
    }

    @Test
    void theDefaultsAreDdimFiftyStepsEveryClassInTurnAndGuidanceTwo() throws IOException {
        try (DiffusionPipeline pipe = DiffusionPipeline.load(conditional)) {
            SampleRequest r = SampleRequest.of(5, 0);
            Sampler s = pipe.sampler(r);
            assertEquals("ddim", s.name());
            assertEquals(50, DiffusionPipeline.steps(pipe.scheduler(), r.sampler(), r.steps()));
            assertEquals(100, DiffusionPipeline.steps(pipe.scheduler(), "ddpm", null), "ddpm runs all T steps");
            ClassCondition c = pipe.condition(r);
            assertArrayEquals(new long[] {0, 1, 2, 0, 1}, c.labels());
            assertEquals(ModelClasses.DEFAULT_GUIDANCE, c.guidanceScale());
            assertEquals(3, c.nullLabel());
        }
        try (DiffusionPipeline pipe = DiffusionPipeline.load(unconditional)) {
            assertEquals(ClassCondition.NONE, pipe.condition(SampleRequest.of(5, 0)));
        }
    }

    @Test
    void imageIDependsOnlyOnTheSeedAndINotOnTheBatchOrTheCount() throws IOException {
        try (DiffusionPipeline pipe = DiffusionPipeline.load(conditional)) {
            SampleRequest r = SampleRequest.of(5, 3).withSampler("ddpm", 4).withClasses(2, 0).withGuidance(1.5);
            float[] all = pipe.sample(r, SampleListener.NONE).values();
            float[] batched = pipe.sample(r.withBatch(2), SampleListener.NONE).values();
            float[] first = pipe.sample(r.withN(3), SampleListener.NONE).values();
            // a batch of another size may round differently in the kernels, nothing more
            assertArrayEquals(all, batched, 1e-5f, "batch size changes nothing");
            assertArrayEquals(Arrays.copyOf(all, first.length), first, 1e-5f, "the first 3 of 5 are the 3");
            float[] otherSeed = pipe.sample(r.withN(3).withSampler("ddpm", 4), SampleListener.NONE).values();
            assertArrayEquals(first, otherSeed, 0f, "the same request, the same bytes");
            assertFalse(Arrays.equals(first, pipe.sample(SampleRequest.of(3, 4).withSampler("ddpm", 4).withClasses(2, 0)
                    .withGuidance(1.5), SampleListener.NONE).values()), "another seed, other images");
        }
    }

    @Test
    void imagesFromAToBEqualRowsAToBOfTheWholeRequest() throws IOException {
        try (DiffusionPipeline pipe = DiffusionPipeline.load(conditional)) {
            // classes cycle with period 2 and batches of 3, so the slices start off both grids
            SampleRequest r = SampleRequest.of(9, 3).withSampler("ddpm", 4).withClasses(2, 0).withGuidance(1.5).withBatch(3);
            float[] all = pipe.sample(r, SampleListener.NONE).values();
            int per = SIZE * SIZE;
            for (int[] ab : new int[][] {{0, 9}, {3, 6}, {6, 9}, {3, 9}}) {
                int a = ab[0];
                int b = ab[1];
                SampledImages slice = pipe.sample(r.withN(b - a), a, SampleListener.NONE);
                assertArrayEquals(Arrays.copyOfRange(all, a * per, b * per), slice.values(), 0f,
                        "images [" + a + ", " + b + ") are rows " + a + ".." + (b - 1) + ", bit for bit (the same batches)");
                assertEquals(b - a, slice.shape()[0]);
            }
            for (int[] ab : new int[][] {{1, 2}, {4, 9}, {7, 8}}) {
                int a = ab[0];
                int b = ab[1];
                float[] slice = pipe.sample(r.withN(b - a), a, SampleListener.NONE).values();
                // slices off the batch grid put the images in batches of another size, which round differently
                // in the kernels (measured: 1 ulp), nothing more; Spark therefore cuts work on the batch grid
                assertArrayEquals(Arrays.copyOfRange(all, a * per, b * per), slice, 1e-5f, "images [" + a + ", " + b + ")");
            }
            float[] uncondAll;
            try (DiffusionPipeline u = DiffusionPipeline.load(unconditional)) {
                SampleRequest ur = SampleRequest.of(6, 1).withSampler("ddim", 3).withOverrides(o -> o.toBuilder().eta(1).build())
                        .withBatch(2);
                uncondAll = u.sample(ur, SampleListener.NONE).values();
                assertArrayEquals(Arrays.copyOfRange(uncondAll, 2 * per, 6 * per), u.sample(ur.withN(4), 2, SampleListener.NONE).values(),
                        0f, "an unconditional model, stochastic DDIM: images [2, 6)");
            }
            assertThrows(IllegalArgumentException.class, () -> pipe.sample(r, -1, SampleListener.NONE));
        }
    }

    @Test
    void equalsTheSamplerDrivenByHandOnTheGuidedDenoiser() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); DiffusionPipeline pipe = DiffusionPipeline.load(conditional, m)) {
            SampleRequest r = SampleRequest.of(2, 9).withSampler("ddpm", 5).withClasses(1, 2).withGuidance(3);
            float[] viaPipeline = pipe.sample(r, SampleListener.NONE).values();
            Sampler ddpm = pipe.sampler(r);
            NDArray xT = BatchedSampling.seededNoise(m, 2, pipe.imageShape(), 9);
            GuidedDenoiser guided = GuidedDenoiser.classConditional(new UNetDenoiser(pipe.unet(), PredictionType.EPSILON),
                    new long[] {1, 2}, 3, 3);
            float[] byHand = ddpm.sample(guided, xT, BatchedSampling.perImageNoise(9, 0, 2), SamplingListener.NONE).toFloatArray();
            assertArrayEquals(byHand, viaPipeline, 0f);
            // from a given x_T: the same images
            assertArrayEquals(viaPipeline, pipe.sample(r, xT, SampleListener.NONE).values(), 0f);
        }
    }

    @Test
    void theListenerSeesEveryStepOfEveryBatchAndTheEnd() throws IOException {
        try (DiffusionPipeline pipe = DiffusionPipeline.load(unconditional)) {
            List<String> seen = new ArrayList<>();
            SampleListener l = new SampleListener() {
                @Override
                public void started(int images, int batches) {
                    seen.add("start " + images + " " + batches);
                }

                @Override
                public void step(int batch, int from, int to, int step, int total, NDArray xt, NDArray x0) {
                    seen.add(batch + ":" + from + "-" + to + " " + step + "/" + total + " " + xt.getShape().get(0)
                            + (x0 == null ? "" : " x0"));
                }

                @Override
                public void finished() {
                    seen.add("end");
                }
            };
            pipe.sample(SampleRequest.of(3, 0).withSampler("ddim", 2).withBatch(2), l);
            assertEquals(List.of("start 3 2", "0:0-2 0/2 2 x0", "0:0-2 1/2 2 x0", "1:2-3 0/2 1 x0", "1:2-3 1/2 1 x0", "end"), seen);
        }
    }

    @Test
    void whatAModelCannotTakeIsRefusedNamingTheOption() throws IOException {
        try (DiffusionPipeline pipe = DiffusionPipeline.load(unconditional)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> pipe.sample(SampleRequest.of(1, 0).withClasses(1),
                    SampleListener.NONE)).getMessage().startsWith("--class: the model is unconditional"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> pipe.sample(SampleRequest.of(1, 0).withGuidance(2),
                    SampleListener.NONE)).getMessage().startsWith("--guidance: the model is unconditional"));
            assertTrue(assertThrows(IllegalArgumentException.class, () -> pipe.sample(SampleRequest.of(1, 0).withSampler("nope", 2),
                    SampleListener.NONE)).getMessage().contains("ddim"), "names the samplers there are");
        }
        try (DiffusionPipeline pipe = DiffusionPipeline.load(conditional)) {
            assertTrue(assertThrows(IllegalArgumentException.class, () -> pipe.sample(SampleRequest.of(1, 0).withClasses(3),
                    SampleListener.NONE)).getMessage().contains("outside [0, 2]"), "the null class is not a class to ask for");
            assertTrue(assertThrows(IllegalArgumentException.class, () -> pipe.sample(SampleRequest.of(1, 0).withGuidance(-1),
                    SampleListener.NONE)).getMessage().contains(">= 0"));
            String tooMany = assertThrows(IllegalArgumentException.class, () -> pipe.sample(SampleRequest.of(2_000_000_000, 0),
                    SampleListener.NONE)).getMessage();
            assertTrue(tooMany.contains("2,000,000,000 images of 1x8x8 need"), tooMany);
        }
        assertThrows(IllegalArgumentException.class, () -> SampleRequest.of(0, 0));
        assertThrows(IllegalArgumentException.class, () -> SampleRequest.of(1, 0).withBatch(0));
        assertThrows(IllegalArgumentException.class, () -> SampleRequest.of(1, 0).withSampler("ddim", 0));
    }

    @Test
    void aClassConditionalModelWithoutANullClassRefusesGuidanceButTakesOne() throws IOException {
        Path noNull = tinyModel(dir.resolve("nonull"), 3, NAMES);
        try (DiffusionPipeline pipe = DiffusionPipeline.load(noNull)) {
            assertEquals(1.0, pipe.condition(SampleRequest.of(2, 0)).guidanceScale(), "without a null class the default is 1");
            String e = assertThrows(IllegalArgumentException.class, () -> pipe.condition(SampleRequest.of(2, 0).withGuidance(2)))
                    .getMessage();
            assertTrue(e.contains("needs a null class") && e.contains("num_class_embeds 3"), e);
        }
    }

    @Test
    void perImageNoiseRowsAreEachImagesOwnStream() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray batch = BatchedSampling.perImageNoise(5, 2, 5).normal(m, new ai.djl.ndarray.types.Shape(3, 1, 2, 2), 7);
            NDArray alone = BatchedSampling.perImageNoise(5, 3, 4).normal(m, new ai.djl.ndarray.types.Shape(1, 1, 2, 2), 7);
            assertArrayEquals(alone.toFloatArray(), batch.get(new NDIndex("1:2")).toFloatArray());
        }
    }

    @Test
    void aTextFoldersOwnGuidanceScaleIsWhatARequestWithoutOneGets(@TempDir Path tmp) throws IOException {
        Path fixture = Path.of("src/test/resources/fixtures/diffusers-t2i");
        Path copy = tmp.resolve("sd");
        try (java.util.stream.Stream<Path> files = Files.walk(fixture)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = copy.resolve(fixture.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        ModelClassesTest.withEntry(new ModelFolder(copy), "{\"guidance_scale\": 4}");
        SampleRequest r = SampleRequest.of(1, 3).withSampler("ddim", 3).withPrompts(List.of("a red circle"));
        try (DiffusionPipeline diffusersDefault = DiffusionPipeline.load(fixture); DiffusionPipeline own = DiffusionPipeline.load(copy)) {
            assertEquals(7.5, diffusersDefault.defaultGuidance(), "without the entry: diffusers' guidance_scale");
            assertEquals(4.0, own.defaultGuidance());
            float[] byDefault = own.sample(r, SampleListener.NONE).values();
            assertArrayEquals(own.sample(r.withGuidance(4), SampleListener.NONE).values(), byDefault, "w = 4 when none is given");
            assertFalse(Arrays.equals(own.sample(r.withGuidance(7.5), SampleListener.NONE).values(), byDefault), "not 7.5");
            assertArrayEquals(diffusersDefault.sample(r.withGuidance(7.5), SampleListener.NONE).values(),
                    diffusersDefault.sample(r, SampleListener.NONE).values());
        }
    }
}
