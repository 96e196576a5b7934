package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongPredicate;
import org.diffusion4j.data.Batch;
import org.diffusion4j.diffusers.ModelFolder;
import org.diffusion4j.diffusers.UNet2DConfigJson;
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.nn.UNet2DConfig;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("kernel")
public class DiffusionTrainerTest {

    public static final int SIZE = 8;
    static final int BATCH = 16;

    /** A valid small UNet2DModel config for 1×8×8 images (the config describes the run; the stand-in model is trained). */
    public static JsonObject smallUnetConfig() {
        return com.google.gson.JsonParser.parseString("{\"sample_size\": 8, \"in_channels\": 1, \"out_channels\": 1, "
                + "\"block_out_channels\": [8, 16], \"layers_per_block\": 1, \"norm_num_groups\": 4, "
                + "\"down_block_types\": [\"DownBlock2D\", \"DownBlock2D\"], \"up_block_types\": [\"UpBlock2D\", \"UpBlock2D\"]}")
                .getAsJsonObject();
    }

    public static TrainConfig.Builder configBuilder(long seed) {
        JsonObject model = smallUnetConfig();
        return TrainConfig.builder().setModel(model).optDataset("synthetic").optBatchSize(BATCH)
                .optLearningRate(1e-2).optLrWarmupSteps(5).optEma(0.99, true).optCheckpointing(10, 3).optLogEvery(5)
                .optSeed(seed);
    }

    /** A trainer on the stand-in model and synthetic stripes, with its own manager. */
    static final class Run implements AutoCloseable {
        final NDManager manager = NDManager.newBaseManager();
        final TinyConvModel model;
        final DiffusionTrainer trainer;
        final List<String> messages = new ArrayList<>();

        Run(TrainConfig config, Path out, LongPredicate poisoned, double dropout) {
            model = new TinyConvModel(manager, 1, 8, dropout, config.numTrainTimesteps(), config.seed());
            TrainingData data = new SyntheticData(1, SIZE, BATCH, config.seed(), poisoned);
            trainer = DiffusionTrainer.builder(config, model, data)
                    .optOutput(out == null ? null : new ModelFolder(out))
                    .optListener(new TrainListener() {
                        @Override
                        public void onMessage(String message) {
                            messages.add(message);
                        }
                    }).build();
        }

        Run(TrainConfig config, Path out) {
            this(config, out, s -> false, 0.1);
        }

        double[] losses(int steps) {
            double[] l = new double[steps];
            for (int i = 0; i < steps; i++) {
                l[i] = trainer.trainStep().loss();
            }
            return l;
        }

        @Override
        public void close() {
            manager.close();
        }
    }

    static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    static Map<String, float[]> snapshot(Map<String, NDArray> arrays) {
        return TensorMaps.toFloats(arrays);
    }

    static void assertSameArrays(Map<String, float[]> a, Map<String, float[]> b, String what) {
        assertEquals(a.keySet(), b.keySet(), what);
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k), b.get(k), 0f, what + " " + k);
        }
    }

    @Test
    void lossGoesDownOnATinyProblem() {
        try (Run run = new Run(configBuilder(1).build(), null)) {
            double[] l = run.losses(150);
            double first = mean(l, 0, 10);
            double last = mean(l, 140, 150);
            assertTrue(first > 0.5, "an untrained predictor of ε has loss near E‖ε‖² = 1, got " + first);
            assertTrue(last < 0.6 * first, "loss should fall by 40%: first 10 steps " + first + ", last 10 " + last);
            assertEquals(150, run.trainer.step());
            assertEquals(150, run.trainer.optimizer().updates());
            assertEquals(150, run.trainer.ema().updates());
        }
    }

    @Test
    void sameSeedSameLossesDifferentSeedDifferentLosses() {
        double[] a;
        double[] b;
        double[] c;
        try (Run run = new Run(configBuilder(7).build(), null)) {
            a = run.losses(20);
        }
        try (Run run = new Run(configBuilder(7).build(), null)) {
            b = run.losses(20);
        }
        try (Run run = new Run(configBuilder(8).build(), null)) {
            c = run.losses(20);
        }
        assertArrayEquals(a, b, 0.0, "same seed, same losses, bit for bit");
        assertFalse(java.util.Arrays.equals(a, c), "another seed draws other t, ε and data");
    }

    @Test
    void resumeIsBitIdenticalToAnUninterruptedRun(@TempDir Path tmp) throws IOException {
        int k = 12;
        TrainConfig config = configBuilder(3).optCheckpointing(1000, 3).build();
        double[] straight;
        Map<String, float[]> weights;
        Map<String, float[]> emaWeights;
        Map<String, float[]> m;
        Map<String, float[]> v;
        try (Run run = new Run(config, null)) {
            straight = run.losses(2 * k);
            weights = snapshot(run.trainer.parameters());
            emaWeights = snapshot(run.trainer.ema().weights());
            m = snapshot(run.trainer.optimizer().firstMoments());
            v = snapshot(run.trainer.optimizer().secondMoments());
        }
        double[] firstHalf;
        try (Run run = new Run(config, tmp)) {
            firstHalf = run.losses(k);
            run.trainer.saveCheckpoint();
        }
        double[] secondHalf;
        try (Run run = new Run(config, tmp)) {
            assertTrue(run.trainer.resume());
            assertEquals(k, run.trainer.step());
            secondHalf = run.losses(k);
            assertSameArrays(weights, snapshot(run.trainer.parameters()), "weights");
            assertSameArrays(emaWeights, snapshot(run.trainer.ema().weights()), "EMA");
            assertSameArrays(m, snapshot(run.trainer.optimizer().firstMoments()), "first moments");
            assertSameArrays(v, snapshot(run.trainer.optimizer().secondMoments()), "second moments");
            assertEquals(2 * k, run.trainer.optimizer().updates());
            assertEquals(2 * k, run.trainer.ema().updates());
        }
        double[] resumed = new double[2 * k];
        System.arraycopy(firstHalf, 0, resumed, 0, k);
        System.arraycopy(secondHalf, 0, resumed, k, k);
        assertArrayEquals(straight, resumed, 0.0, "losses of the resumed run");
    }

    /** Runs {@code steps} steps of a small real U-Net (attention, dropout) from a fresh trainer, resuming first if asked. */
    static double[] unetRun(TrainConfig config, Path out, boolean resume, boolean save, int steps,
            List<Map<String, float[]>> stateOut) throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            UNetTrainable model = Training.newModel(config, manager);
            DiffusionTrainer t = DiffusionTrainer.builder(config, model, new SyntheticData(1, SIZE, 4, config.seed()))
                    .optOutput(out == null ? null : new ModelFolder(out)).build();
            if (resume) {
                assertTrue(t.resume());
            }
            double[] l = new double[steps];
            for (int i = 0; i < steps; i++) {
                l[i] = t.trainStep().loss();
            }
            if (save) {
                t.saveCheckpoint();
            }
            stateOut.add(snapshot(t.parameters()));
            stateOut.add(snapshot(t.ema().weights()));
            stateOut.add(snapshot(t.optimizer().firstMoments()));
            stateOut.add(snapshot(t.optimizer().secondMoments()));
            return l;
        }
    }

    @Test
    void resumeOfARealUNetWithAttentionAndDropoutIsBitIdentical(@TempDir Path tmp) throws IOException {
        JsonObject model = smallUnetConfig();
        model.add("down_block_types", com.google.gson.JsonParser.parseString("[\"DownBlock2D\", \"AttnDownBlock2D\"]"));
        model.add("up_block_types", com.google.gson.JsonParser.parseString("[\"AttnUpBlock2D\", \"UpBlock2D\"]"));
        model.addProperty("dropout", 0.2);
        TrainConfig config = configBuilder(31).setModel(model).optBatchSize(4).optLearningRate(1e-3).build();
        List<Map<String, float[]>> straight = new ArrayList<>();
        double[] all = unetRun(config, null, false, false, 6, straight);
        List<Map<String, float[]>> ignored = new ArrayList<>();
        double[] first = unetRun(config, tmp, false, true, 3, ignored);
        List<Map<String, float[]>> resumed = new ArrayList<>();
        double[] second = unetRun(config, tmp, true, false, 3, resumed);
        assertArrayEquals(all, new double[] {first[0], first[1], first[2], second[0], second[1], second[2]}, 0.0);
        String[] what = {"weights", "EMA", "first moments", "second moments"};
        for (int i = 0; i < 4; i++) {
            assertSameArrays(straight.get(i), resumed.get(i), what[i]);
        }
    }

    @Test
    void poisonedBatchIsSkippedAndLeavesEverythingUntouched() {
        try (Run run = new Run(configBuilder(5).build(), null, s -> s == 4, 0.1)) {
            run.losses(4);
            Map<String, float[]> w = snapshot(run.trainer.parameters());
            Map<String, float[]> e = snapshot(run.trainer.ema().weights());
            Map<String, float[]> m = snapshot(run.trainer.optimizer().firstMoments());
            Map<String, float[]> v = snapshot(run.trainer.optimizer().secondMoments());
            DiffusionTrainer.StepReport r = run.trainer.trainStep();
            assertTrue(r.skipped());
            assertTrue(Double.isNaN(r.loss()));
            assertEquals(1, run.trainer.skippedSteps());
            assertEquals(1, run.trainer.consecutiveBadSteps());
            assertSameArrays(w, snapshot(run.trainer.parameters()), "weights");
            assertSameArrays(e, snapshot(run.trainer.ema().weights()), "EMA");
            assertSameArrays(m, snapshot(run.trainer.optimizer().firstMoments()), "first moments");
            assertSameArrays(v, snapshot(run.trainer.optimizer().secondMoments()), "second moments");
            assertEquals(4, run.trainer.optimizer().updates());
            assertEquals(4, run.trainer.ema().updates());
            // Training goes on with finite gradients (the NaN gradient was not accumulated).
            DiffusionTrainer.StepReport next = run.trainer.trainStep();
            assertFalse(next.skipped());
            assertTrue(Double.isFinite(next.gradNorm()));
            assertEquals(0, run.trainer.consecutiveBadSteps());
            assertEquals(5, run.trainer.optimizer().updates());
        }
    }

    @Test
    void hugeLearningRateStopsWithClearMessageAndKeepsLastCheckpoint(@TempDir Path tmp) throws IOException {
        TrainConfig good = configBuilder(9).optCheckpointing(5, 3).optMaxConsecutiveBadSteps(3).build();
        try (Run run = new Run(good, tmp)) {
            run.trainer.train(5, null);
        }
        ModelFolder folder = new ModelFolder(tmp);
        assertEquals(List.of(5L), Checkpointing.of(folder).list().stream().map(Checkpointing.Checkpoint::step).toList());
        byte[] unetBefore = Files.readAllBytes(folder.unetWeightsFile());
        TrainConfig huge = good.toBuilder().optLearningRate(1e30).optLrWarmupSteps(0).optMaxGradNorm(1e30).build();
        try (Run run = new Run(huge, tmp)) {
            assertTrue(run.trainer.resume());
            TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                    () -> run.trainer.train(100, null));
            assertTrue(e.getMessage().contains("3 consecutive steps had a non-finite loss or gradient"), e.getMessage());
            assertTrue(e.getMessage().contains("step-5"), e.getMessage());
            assertTrue(e.getMessage().contains("learning_rate"), e.getMessage());
            assertEquals(3, run.trainer.consecutiveBadSteps());
        }
        assertEquals(List.of(5L), Checkpointing.of(folder).list().stream().map(Checkpointing.Checkpoint::step).toList());
        Checkpointing.of(folder).verify(Checkpointing.of(folder).list().get(0));
        assertArrayEquals(unetBefore, Files.readAllBytes(folder.unetWeightsFile()));
        String metrics = Files.readString(tmp.resolve(MetricsLog.FILE_NAME));
        assertTrue(metrics.contains("\"kind\":\"skip\""), metrics);
    }

    @Test
    void trainWritesCheckpointsMetricsAndDiffusersFiles(@TempDir Path tmp) throws IOException {
        List<Long> progressSteps = new ArrayList<>();
        TrainConfig config = configBuilder(11).optCheckpointing(10, 2).optLogEvery(5).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            TinyConvModel model = new TinyConvModel(manager, 1, 8, 0.1, 1000, 11);
            DiffusionTrainer trainer = DiffusionTrainer.builder(config, model, new SyntheticData(1, SIZE, BATCH, 11))
                    .optOutput(new ModelFolder(tmp)).optListener(new TrainListener() {
                        @Override
                        public void onStep(TrainProgress p) {
                            progressSteps.add(p.step());
                            assertEquals(35, p.targetStep());
                        }
                    }).build();
            DiffusionTrainer.TrainResult result = trainer.train(35, null);
            assertEquals(0, result.firstStep());
            assertEquals(35, result.lastStep());
            assertEquals(tmp.resolve("training/step-35"), result.lastCheckpoint());
            assertTrue(result.imagesPerSecond() > 0);
        }
        assertEquals(35, progressSteps.size());
        ModelFolder folder = new ModelFolder(tmp);
        // checkpoints at 10, 20, 30 and the end (35); keep_last 2 leaves 30 and 35
        assertEquals(List.of(35L, 30L), Checkpointing.of(folder).list().stream().map(Checkpointing.Checkpoint::step).toList());
        assertEquals(ModelFolder.ddpmModelIndexJson(), Files.readString(folder.modelIndexFile()));
        assertEquals(config.schedulerConfigJson(), Files.readString(folder.schedulerConfigFile()));
        assertTrue(Files.size(folder.unetWeightsFile()) > 0);
        assertTrue(Files.readString(folder.unetConfigFile()).contains("TinyConvModel"));
        List<String> lines = Files.readAllLines(tmp.resolve(MetricsLog.FILE_NAME));
        assertEquals(7, lines.size(), "a line every 5 steps");
        assertTrue(lines.get(0).startsWith("{\"kind\":\"train\",\"step\":5,\"loss\":"), lines.get(0));
        for (String key : new String[] {"lr", "grad_norm", "images_per_sec", "wall_time_s"}) {
            assertTrue(lines.get(6).contains("\"" + key + "\":"), key);
        }
        byte[] png = Files.readAllBytes(tmp.resolve(LossCurve.FILE_NAME));
        assertEquals((byte) 0x89, png[0]);
        assertEquals('P', png[1]);
        // the exported U-Net holds the EMA weights of the last checkpoint
        org.diffusion4j.io.SafeTensors unet = org.diffusion4j.io.SafeTensors.read(folder.unetWeightsFile());
        org.diffusion4j.io.SafeTensors ema = org.diffusion4j.io.SafeTensors.read(tmp.resolve("training/step-35/ema.safetensors"));
        assertArrayEquals(ema.floats("conv_in.weight"), unet.floats("conv_in.weight"), 0f);
        org.diffusion4j.io.SafeTensors raw = org.diffusion4j.io.SafeTensors.read(tmp.resolve("training/step-35/model.safetensors"));
        assertFalse(java.util.Arrays.equals(raw.floats("conv_in.weight"), ema.floats("conv_in.weight")));
    }

    @Test
    void resumeFallsBackPastDamagedCheckpoints(@TempDir Path tmp) throws IOException {
        TrainConfig config = configBuilder(13).optCheckpointing(4, 5).build();
        try (Run run = new Run(config, tmp)) {
            run.trainer.train(12, null); // checkpoints 4, 8, 12
        }
        // step-12: flip one byte of the weights; step-8: manifest missing (an interrupted write)
        Path weights = tmp.resolve("training/step-12/" + TrainingCheckpoint.MODEL);
        byte[] bytes = Files.readAllBytes(weights);
        bytes[bytes.length - 1] ^= 1;
        Files.write(weights, bytes);
        Files.delete(tmp.resolve("training/step-8/manifest.json"));
        try (Run run = new Run(config, tmp)) {
            assertTrue(run.trainer.resume());
            assertEquals(4, run.trainer.step());
            String all = String.join("\n", run.messages);
            assertTrue(all.contains("step-12") && all.contains("SHA-256") && all.contains("falling back"), all);
            assertTrue(all.contains("step-8") && all.contains("manifest.json: missing"), all);
            assertTrue(all.contains("resumed from") && all.contains("step-4"), all);
        }
    }

    @Test
    void vPredictionAndMinSnrTrain() {
        TrainConfig config = configBuilder(17).optPredictionType(PredictionType.V_PREDICTION)
                .optLossWeighting(TrainConfig.LossWeighting.MIN_SNR, 5).build();
        try (Run run = new Run(config, null)) {
            double[] l = run.losses(100);
            assertTrue(mean(l, 90, 100) < mean(l, 0, 10), "v-prediction loss falls too");
        }
    }

    @Test
    void timestepsAreUniformAndDependOnlyOnSeedAndStep() {
        try (Run a = new Run(configBuilder(21).build(), null); Run b = new Run(configBuilder(21).build(), null)) {
            assertArrayEquals(a.trainer.timestepsAt(123, 64), b.trainer.timestepsAt(123, 64));
            assertNotEquals(java.util.Arrays.toString(a.trainer.timestepsAt(123, 64)),
                    java.util.Arrays.toString(a.trainer.timestepsAt(124, 64)));
            long[] t = a.trainer.timestepsAt(0, 100_000);
            double mean = java.util.Arrays.stream(t).average().orElseThrow();
            // U{0..999}: mean 499.5, sd of the mean √((1000²−1)/12/100000) ≈ 0.91
            assertEquals(499.5, mean, 5);
            assertEquals(0, java.util.Arrays.stream(t).min().orElseThrow());
            assertEquals(999, java.util.Arrays.stream(t).max().orElseThrow());
        }
    }

    @Test
    void dataThatDoesNotFitTheModelIsRefusedBeforeAnythingIsWritten(@TempDir Path tmp) {
        TrainConfig config = configBuilder(1).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            TinyConvModel model = new TinyConvModel(manager, 1, 8, 0, 1000, 1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DiffusionTrainer.builder(config, model, new SyntheticData(1, 16, BATCH, 1))
                            .optOutput(new ModelFolder(tmp.resolve("run"))).build());
            assertTrue(e.getMessage().contains("16x16") && e.getMessage().contains("sample_size"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> DiffusionTrainer.builder(config, model, new SyntheticData(3, SIZE, BATCH, 1)).build());
            assertTrue(e.getMessage().contains("3-channel") && e.getMessage().contains("in_channels"), e.getMessage());
        }
        assertFalse(Files.exists(tmp.resolve("run")));
    }

    // ------------------------------------------------------------------ classifier-free guidance training

    /** {@link #smallUnetConfig()} with a class embedding table of {@code numClassEmbeds} rows. */
    static JsonObject conditionalUnetConfig(int numClassEmbeds) {
        JsonObject model = smallUnetConfig();
        model.addProperty("num_class_embeds", numClassEmbeds);
        return model;
    }

    /** The stand-in run with a class-conditional config: the synthetic data's 2 classes plus the null class 2. */
    static TrainConfig cfgConfig(long seed, double pUncond) {
        return configBuilder(seed).setModel(conditionalUnetConfig(3)).optPUncond(pUncond).build();
    }

    /** A model that records the class labels each forward pass is given. */
    static final class RecordingModel implements TrainableModel {
        final TrainableModel inner;
        final List<long[]> labels = new ArrayList<>();

        RecordingModel(TrainableModel inner) {
            this.inner = inner;
        }

        @Override
        public Map<String, NDArray> parameters() {
            return inner.parameters();
        }

        @Override
        public NDArray forward(NDArray sample, NDArray timesteps, NDArray classLabels) {
            labels.add(classLabels == null ? null : classLabels.toLongArray());
            return inner.forward(sample, timesteps, classLabels);
        }

        @Override
        public void setTraining(boolean training) {
            inner.setTraining(training);
        }

        @Override
        public boolean isClassConditional() {
            return inner.isClassConditional();
        }

        @Override
        public String configJson() {
            return inner.configJson();
        }
    }

    /** {@code data} with the given class names. */
    static TrainingData named(TrainingData data, List<String> names) {
        return new TrainingData() {
            @Override
            public String name() {
                return data.name();
            }

            @Override
            public int channels() {
                return data.channels();
            }

            @Override
            public int height() {
                return data.height();
            }

            @Override
            public int width() {
                return data.width();
            }

            @Override
            public int batchSize() {
                return data.batchSize();
            }

            @Override
            public int numClasses() {
                return data.numClasses();
            }

            @Override
            public List<String> classNames() {
                return names;
            }

            @Override
            public Batch batchAt(NDManager manager, long step) {
                return data.batchAt(manager, step);
            }
        };
    }

    static long[] alternating(int n) {
        long[] labels = new long[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 2;
        }
        return labels;
    }

    /** Asserts that {@code k} successes in {@code n} Bernoulli(p) trials is within 5 standard deviations of n·p. */
    static void assertBinomial(long k, long n, double p, String what) {
        double sd = Math.sqrt(n * p * (1 - p));
        assertTrue(Math.abs(k - n * p) <= 5 * sd, what + ": " + k + " of " + n + ", expected " + n * p + " ± 5·" + sd);
    }

    @Test
    void labelDropoutReplacesAFractionPUncondByTheNullClassAndLeavesTheRest() {
        for (double p : new double[] {0.1, 0.5}) {
            try (Run run = new Run(cfgConfig(41, p), null)) {
                assertEquals(2, run.trainer.config().nullClassLabel());
                int n = 200_000;
                long[] labels = alternating(n);
                long[] out = run.trainer.conditioningLabels(5, labels);
                assertArrayEquals(alternating(n), labels, "the input is not modified");
                long[] dropped = new long[2];
                for (int i = 0; i < n; i++) {
                    if (out[i] != labels[i]) {
                        assertEquals(2, out[i], "a dropped label is the null class, index " + i);
                        dropped[(int) labels[i]]++;
                    }
                }
                assertBinomial(dropped[0] + dropped[1], n, p, "p_uncond " + p + ", dropped labels in one step");
                // the decision does not depend on the label: each class loses the same fraction
                assertBinomial(dropped[0], n / 2, p, "p_uncond " + p + ", class 0");
                assertBinomial(dropped[1], n / 2, p, "p_uncond " + p + ", class 1");
            }
        }
    }

    @Test
    void labelDropoutIsIndependentAcrossStepsAndBatchPositions() {
        double p = 0.1;
        int steps = 5000;
        try (Run run = new Run(cfgConfig(43, p), null)) {
            long[] perPosition = new long[BATCH];
            long total = 0;
            for (int s = 0; s < steps; s++) {
                long[] out = run.trainer.conditioningLabels(s, new long[BATCH]);
                for (int i = 0; i < BATCH; i++) {
                    if (out[i] == 2) {
                        perPosition[i]++;
                        total++;
                    }
                }
            }
            assertBinomial(total, (long) steps * BATCH, p, "dropped labels over " + steps + " batches");
            for (int i = 0; i < BATCH; i++) {
                assertBinomial(perPosition[i], steps, p, "batch position " + i);
            }
        }
    }

    /** Which entries {@link DiffusionTrainer#conditioningLabels} replaced. */
    static boolean[] droppedMask(DiffusionTrainer t, long step, long[] labels) {
        long[] out = t.conditioningLabels(step, labels);
        boolean[] mask = new boolean[labels.length];
        for (int i = 0; i < labels.length; i++) {
            mask[i] = out[i] != labels[i];
        }
        return mask;
    }

    @Test
    void labelDropoutDependsOnlyOnSeedAndStep() {
        long[] labels = alternating(256);
        try (Run a = new Run(cfgConfig(47, 0.1), null); Run b = new Run(cfgConfig(47, 0.1), null);
                Run c = new Run(cfgConfig(48, 0.1), null)) {
            assertArrayEquals(a.trainer.conditioningLabels(7, labels), b.trainer.conditioningLabels(7, labels),
                    "same (seed, step), another trainer: same labels");
            a.losses(3); // training steps do not disturb the stream
            assertArrayEquals(b.trainer.conditioningLabels(7, labels), a.trainer.conditioningLabels(7, labels));
            boolean[] step7 = droppedMask(a.trainer, 7, labels);
            assertFalse(java.util.Arrays.equals(step7, droppedMask(a.trainer, 8, labels)), "another step, another pattern");
            assertFalse(java.util.Arrays.equals(step7, droppedMask(c.trainer, 7, labels)), "another seed, another pattern");
            assertArrayEquals(step7, droppedMask(a.trainer, 7, new long[256]), "which entries drop does not depend on the labels");
        }
    }

    @Test
    void labelsAreUntouchedWithoutDropoutOrWithoutConditioning() {
        long[] labels = alternating(1000);
        try (Run zero = new Run(cfgConfig(51, 0), null);
                Run unconditional = new Run(configBuilder(51).optPUncond(0.9).build(), null)) {
            assertEquals(-1, zero.trainer.config().nullClassLabel());
            assertSame(labels, zero.trainer.conditioningLabels(3, labels), "p_uncond 0 keeps every label");
            assertEquals(-1, unconditional.trainer.config().nullClassLabel());
            assertSame(labels, unconditional.trainer.conditioningLabels(3, labels), "an unconditional model has no null class");
        }
        assertArrayEquals(alternating(1000), labels);
    }

    @Test
    void unconditionalTrainingIgnoresPUncondBitForBit() {
        double[] reference = null;
        for (double p : new double[] {0.1, 0, 0.9}) {
            TrainConfig config = configBuilder(53).optPUncond(p).build();
            try (NDManager manager = NDManager.newBaseManager()) {
                RecordingModel model = new RecordingModel(new TinyConvModel(manager, 1, 8, 0.1, 1000, 53));
                DiffusionTrainer t = DiffusionTrainer.builder(config, model, new SyntheticData(1, SIZE, BATCH, 53)).build();
                double[] l = new double[6];
                for (int i = 0; i < l.length; i++) {
                    l[i] = t.trainStep().loss();
                }
                assertEquals(6, model.labels.size());
                model.labels.forEach(x -> assertNull(x, "an unconditional model is given no labels"));
                if (reference == null) {
                    reference = l;
                } else {
                    assertArrayEquals(reference, l, 0.0, "p_uncond " + p + " changes nothing for an unconditional model");
                }
            }
        }
    }

    @Test
    void classConditionalRunFeedsTheDroppedLabelsAndSavesClassNames(@TempDir Path tmp) throws IOException {
        List<String> names = List.of("horizontal", "vertical");
        TrainConfig config = configBuilder(59).setModel(conditionalUnetConfig(3)).optBatchSize(4).optLearningRate(1e-3)
                .optPUncond(0.5).optCheckpointing(3, 2).build();
        TrainingData data = named(new SyntheticData(1, SIZE, 4, 59), names);
        int steps = 4;
        try (NDManager manager = NDManager.newBaseManager()) {
            RecordingModel model = new RecordingModel(Training.newModel(config, manager));
            assertTrue(model.isClassConditional());
            DiffusionTrainer t = DiffusionTrainer.builder(config, model, data).optOutput(new ModelFolder(tmp)).build();
            t.train(steps, null);
            assertEquals(steps, model.labels.size());
            int nulls = 0;
            for (int s = 0; s < steps; s++) {
                long[] batchLabels;
                try (NDManager sub = manager.newSubManager()) {
                    batchLabels = data.batchAt(sub, s).labels().toLongArray();
                }
                long[] seen = model.labels.get(s);
                assertArrayEquals(t.conditioningLabels(s, batchLabels), seen, "labels the network saw at step " + s);
                for (int i = 0; i < seen.length; i++) {
                    assertTrue(seen[i] == 2 || seen[i] == batchLabels[i], "step " + s + " entry " + i);
                    nulls += seen[i] == 2 ? 1 : 0;
                }
            }
            assertTrue(nulls > 0 && nulls < 4 * steps, "p_uncond 0.5 over 16 labels dropped " + nulls);
        }
        ModelFolder folder = new ModelFolder(tmp);
        assertEquals(names, folder.readClassNames());
        assertEquals(ModelFolder.ddpmModelIndexJson(names), Files.readString(folder.modelIndexFile()));
        UNet2DConfig unet = UNet2DConfigJson.read(folder.unetConfigFile());
        assertEquals(names.size() + 1, unet.numClassEmbeds(), "id2label names the real classes; the last id is the null class");
        folder.requireDiffusersLayout();
        assertEquals(0.5, TrainingCheckpoint.readConfig(tmp.resolve("training/step-4")).pUncond(), 0.0);
    }

    @Test
    void classNamesDefaultToTheLabelNumbers() {
        assertEquals(List.of("0", "1"), new SyntheticData(1, SIZE, BATCH, 1).classNames());
    }

    /** The checkpoint shipped in models/fashion-mnist-ddpm-uncond (unconditional, written before p_uncond existed). */
    static final Path SHIPPED_MODEL = Path.of(System.getProperty("diffusion4j.root", "..")).resolve("models/fashion-mnist-ddpm-uncond");

    @Test
    void resumingTheShippedUnconditionalCheckpointIgnoresLabelDropout(@TempDir Path tmp) throws IOException {
        Path shipped = SHIPPED_MODEL.resolve("training/step-3065");
        assumeTrue(Files.isDirectory(shipped), "no shipped checkpoint at " + shipped);
        Path copy = tmp.resolve("training/step-3065");
        Files.createDirectories(copy);
        try (var files = Files.list(shipped)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        ModelFolder folder = new ModelFolder(tmp);
        List<String> messages = new ArrayList<>();
        TrainConfig config = DiffusionTrainer.checkpointConfig(folder, messages::add).orElseThrow();
        assertEquals(0.1, config.pUncond(), "the default fills the missing key");
        assertEquals(-1, config.nullClassLabel());
        try (NDManager manager = NDManager.newBaseManager()) {
            RecordingModel model = new RecordingModel(Training.newModel(config, manager));
            assertFalse(model.isClassConditional());
            // labelled data: the labels must still not reach an unconditional model
            TrainingData data = new SyntheticData(1, 28, config.batchSize(), config.seed());
            DiffusionTrainer t = DiffusionTrainer.builder(config, model, data).optOutput(folder)
                    .optListener(new TrainListener() {
                        @Override
                        public void onMessage(String message) {
                            messages.add(message);
                        }
                    }).build();
            assertTrue(t.resume());
            assertEquals(3065, t.step());
            assertTrue(messages.stream().noneMatch(m -> m.contains("changed training config")), messages.toString());
            long[] labels = alternating(config.batchSize());
            assertSame(labels, t.conditioningLabels(3065, labels));
            DiffusionTrainer.StepReport r = t.trainStep();
            assertFalse(r.skipped());
            assertTrue(r.loss() < 0.5, "a trained model's loss, got " + r.loss());
            assertEquals(1, model.labels.size());
            assertNull(model.labels.get(0), "no labels reach the unconditional network");
        }
    }
}
