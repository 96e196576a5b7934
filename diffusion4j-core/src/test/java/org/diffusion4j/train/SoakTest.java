package org.diffusion4j.train;

import org.diffusion4j.diffusers.UNet2DFolder;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusion.Denoiser;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.io.ImageGrid;
import org.diffusion4j.nn.UNet2DModel;
import org.diffusion4j.sampling.Sampler;
import org.diffusion4j.sampling.SamplerOptions;
import org.diffusion4j.sampling.Samplers;
import org.diffusion4j.sampling.SamplingListener;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory over time: rounds of training (25 steps of a 16×16 U-Net with attention and dropout, a
 * checkpoint, the exported model and the loss curve written at the end of each) and sampling (the
 * exported model loaded from disk, 4 images by a sampler that changes every round, written as a
 * PNG), for {@code soak.minutes} (default 30). Every {@code soak.sampleSeconds} (default 10),
 * between rounds and after a GC: VmRSS, the Java heap in use, and DJL's live resources (NDArrays
 * and NDManagers reachable from the engine's system manager, counted through the managers'
 * resource maps). A line is fitted to the second half of each series; the fitted growth over the
 * whole duration must stay below: 1 NDArray, 1 NDManager, 1 other resource, 16 MB of heap, 32 MB of RSS.
 *
 * <p>Tagged {@code soak}: {@code mvn -o -pl diffusion4j-core test -Dtest=SoakTest -Dgroups=soak
 * -DexcludedGroups= -Dsoak.minutes=30}. libtorch runs {@code soak.threads} (default 1) threads.
 */
@Tag("soak")
class SoakTest {

    private static final int STEPS_PER_ROUND = 25;
    private static final List<String> SAMPLERS = List.of("ddim", "dpm-solver++", "euler", "heun", "ddpm",
            "euler-maruyama");

    /** One measurement. */
    record Sample(double seconds, long round, long step, long rssKb, long heapKb, long arrays, long managers, long other) {}

    static TrainConfig soakConfig() {
        JsonObject model = JsonParser.parseString("{\"sample_size\": 16, \"in_channels\": 1, \"out_channels\": 1, "
                + "\"block_out_channels\": [16, 32], \"layers_per_block\": 1, \"norm_num_groups\": 8, \"dropout\": 0.1, "
                + "\"down_block_types\": [\"DownBlock2D\", \"AttnDownBlock2D\"], "
                + "\"up_block_types\": [\"AttnUpBlock2D\", \"UpBlock2D\"]}").getAsJsonObject();
        return DiffusionTrainerTest.configBuilder(11).setModel(model).optBatchSize(8).optLearningRate(1e-3)
                .optCheckpointing(50, 3).optLogEvery(5).build();
    }

    @Test
    void trainingAndSamplingKeepMemoryAndResourceCountsFlat(@TempDir Path tmp) throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs Linux /proc to read VmRSS");
        double minutes = Double.parseDouble(System.getProperty("soak.minutes", "30"));
        double sampleSeconds = Double.parseDouble(System.getProperty("soak.sampleSeconds", "10"));
        TrainConfig config = soakConfig();
        ModelFolder folder = new ModelFolder(tmp.resolve("run"));
        List<Sample> samples = new ArrayList<>();
        long start = System.nanoTime();
        long end = start + (long) (minutes * 60e9);
        try (NDManager base = NDManager.newBaseManager()) {
            JniUtils.setNumThreads(Integer.getInteger("soak.threads", 1)); // the engine is loaded now
            DiffusionTrainer trainer = DiffusionTrainer.builder(config, Training.newModel(config, base),
                    new SyntheticData(1, 16, config.batchSize(), config.seed())).optOutput(folder).build();
            long nextSample = start;
            for (long round = 0; ; round++) {
                trainer.train(trainer.step() + STEPS_PER_ROUND, null);
                sample(folder, config, SAMPLERS.get((int) (round % SAMPLERS.size())), round, base, tmp);
                long now = System.nanoTime();
                if (now >= nextSample || now >= end) {
                    samples.add(measure((now - start) / 1e9, round + 1, trainer.step(), base));
                    nextSample += (long) (sampleSeconds * 1e9);
                }
                if (now >= end) {
                    break;
                }
            }
        }
        report(samples);
    }

    /** Loads the exported model from disk and draws 4 images with {@code samplerName} in 10 steps. */
    private static void sample(ModelFolder folder, TrainConfig config, String samplerName, long round, NDManager base,
            Path tmp) throws IOException {
        try (NDManager m = base.newSubManager(); UNet2DModel unet = UNet2DFolder.load(folder.unetDir(), m)) {
            Sampler sampler = Samplers.create(samplerName, config.noiseSchedule(), SamplerOptions.ofSteps(10));
            NoiseSource noise = NoiseSource.seeded(round);
            NDArray xT = noise.normal(m, new Shape(4, 1, 16, 16), Long.MAX_VALUE);
            NDArray x0 = sampler.sample(Denoiser.of(config.predictionType(), unet::predict), xT, noise,
                    SamplingListener.NONE);
            for (float v : x0.toFloatArray()) {
                assertTrue(Float.isFinite(v), samplerName + " produced a non-finite pixel in round " + round);
            }
            ImageGrid.writePng(tmp.resolve("samples.png"), ImageGrid.grid(x0, 1));
        }
    }

    private static Sample measure(double seconds, long round, long step, NDManager base) throws Exception {
        for (int i = 0; i < 2; i++) {
            System.gc();
            Thread.sleep(50);
        }
        Runtime rt = Runtime.getRuntime();
        DjlResources.Counts live = DjlResources.count(base.getParentManager());
        return new Sample(seconds, round, step, MemoryTest.residentKb(), (rt.totalMemory() - rt.freeMemory()) / 1024,
                live.arrays(), live.managers(), live.other());
    }

    private static void report(List<Sample> samples) {
        assertTrue(samples.size() >= 6, "too few measurements (" + samples.size() + ") for a trend; soak longer");
        double duration = samples.get(samples.size() - 1).seconds();
        List<Sample> half = samples.subList(samples.size() / 2, samples.size());
        StringBuilder table = new StringBuilder("   time  round   step   VmRSS MB   heap MB  NDArrays  NDManagers\n");
        int every = Math.max(1, samples.size() / 20);
        for (int i = 0; i < samples.size(); i++) {
            if (i % every == 0 || i == samples.size() - 1) {
                Sample s = samples.get(i);
                table.append(String.format("%6.0fs %6d %6d %10.1f %9.1f %9d %11d%n", s.seconds(), s.round(), s.step(),
                        s.rssKb() / 1024.0, s.heapKb() / 1024.0, s.arrays(), s.managers()));
            }
        }
        double rssMb = growth(half, s -> s.rssKb() / 1024.0, duration);
        double heapMb = growth(half, s -> s.heapKb() / 1024.0, duration);
        double arrays = growth(half, Sample::arrays, duration);
        double managers = growth(half, Sample::managers, duration);
        double other = growth(half, Sample::other, duration);
        Sample first = samples.get(0);
        Sample last = samples.get(samples.size() - 1);
        System.out.print(table);
        System.out.printf("soak: %.1f min, %d rounds, %d training steps, %d measurements; fitted growth over the whole run "
                + "(line through the second half): VmRSS %+.1f MB, heap %+.1f MB, NDArrays %+.2f, NDManagers %+.2f, other resources %+.2f; "
                + "raw first -> last: VmRSS %.1f -> %.1f MB, NDArrays %d -> %d, NDManagers %d -> %d%n",
                duration / 60, last.round(), last.step(), samples.size(), rssMb, heapMb, arrays, managers, other,
                first.rssKb() / 1024.0, last.rssKb() / 1024.0, first.arrays(), last.arrays(), first.managers(),
                last.managers());
        assertTrue(Math.abs(arrays) < 1, "live NDArrays grow by " + arrays + " over the run");
        assertTrue(Math.abs(managers) < 1, "live NDManagers grow by " + managers + " over the run");
        assertTrue(Math.abs(other) < 1, "other live DJL resources grow by " + other + " over the run");
        assertTrue(heapMb < 16, "the Java heap in use grows by " + heapMb + " MB over the run");
        assertTrue(rssMb < 32, "resident memory grows by " + rssMb + " MB over the run");
    }

    /** The least-squares slope of {@code value} against time over {@code points}, times {@code duration}. */
    static double growth(List<Sample> points, ToDoubleFunction<Sample> value, double duration) {
        double n = points.size();
        double mt = points.stream().mapToDouble(Sample::seconds).sum() / n;
        double mv = points.stream().mapToDouble(value).sum() / n;
        double sxy = 0;
        double sxx = 0;
        for (Sample s : points) {
            sxy += (s.seconds() - mt) * (value.applyAsDouble(s) - mv);
            sxx += (s.seconds() - mt) * (s.seconds() - mt);
        }
        return sxx == 0 ? 0 : sxy / sxx * duration;
    }
}
