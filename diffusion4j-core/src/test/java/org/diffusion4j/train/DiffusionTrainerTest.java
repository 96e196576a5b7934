package org.diffusion4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.diffusion4j.diffusion.PredictionType;
import org.diffusion4j.io.ModelFolder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiffusionTrainerTest {

    static final int SIZE = 8;
    static final int BATCH = 16;

    /** A valid small UNet2DModel config for 1×8×8 images (the config describes the run; the stand-in model is trained). */
    static JsonObject smallUnetConfig() {
        return com.google.gson.JsonParser.parseString("{\"sample_size\": 8, \"in_channels\": 1, \"out_channels\": 1, "
                + "\"block_out_channels\": [8, 16], \"layers_per_block\": 1, \"norm_num_groups\": 4, "
                + "\"down_block_types\": [\"DownBlock2D\", \"DownBlock2D\"], \"up_block_types\": [\"UpBlock2D\", \"UpBlock2D\"]}")
                .getAsJsonObject();
    }

    static TrainConfig.Builder configBuilder(long seed) {
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
        return Tensors.toFloats(arrays);
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
            DiffusionTrainer.StepResult r = run.trainer.trainStep();
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
            DiffusionTrainer.StepResult next = run.trainer.trainStep();
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
        assertEquals(List.of(5L), folder.listCheckpoints().stream().map(ModelFolder.Checkpoint::step).toList());
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
        assertEquals(List.of(5L), folder.listCheckpoints().stream().map(ModelFolder.Checkpoint::step).toList());
        folder.verifyCheckpoint(folder.listCheckpoints().get(0), TrainingCheckpoint.REQUIRED);
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
        assertEquals(List.of(35L, 30L), folder.listCheckpoints().stream().map(ModelFolder.Checkpoint::step).toList());
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
}
