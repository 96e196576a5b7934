package org.diffusion4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.diffusion4j.data.Batch;
import org.diffusion4j.diffusion.NoiseSource;
import org.diffusion4j.train.DiffusionTrainer;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Training;
import org.diffusion4j.train.TrainingData;
import org.diffusion4j.train.UNetTrainable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code diffusion4j bench-train}: training and forward-only throughput of the Fashion-MNIST U-Net
 * (the PyTorch peer's architecture, {@code block_out_channels [ch, 2ch, 2ch]}) on a fixed random
 * batch, reported like the peer's {@code bench} so that {@code benchmarks/train_throughput.sh}
 * can compare them.
 */
@Command(name = "bench-train", mixinStandardHelpOptions = true,
        description = "Measure training and forward-only (sampling) throughput of the fashion-mnist U-Net.")
final class BenchTrainCommand implements Callable<Integer> {

    @Option(names = "--ch", defaultValue = "32", description = "Base channels: block_out_channels [ch, 2ch, 2ch] (default ${DEFAULT-VALUE}).")
    int ch;

    @Option(names = "--batch", defaultValue = "128", description = "Training batch size (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--iters", defaultValue = "8", description = "Timed iterations after 2 warm-up ones (default ${DEFAULT-VALUE}).")
    int iters;

    @Option(names = "--forward-batches", split = ",", defaultValue = "64,256",
            description = "Batch sizes of the forward-only measurement (default ${DEFAULT-VALUE}).")
    List<Integer> forwardBatches;

    @Option(names = "--config", defaultValue = "fashion-mnist", description = "Preset or config file whose model is measured (default ${DEFAULT-VALUE}).")
    String config;

    @Override
    public Integer call() throws Exception {
        TrainConfig base = TrainConfig.resolve(config);
        com.google.gson.JsonObject model = base.model();
        com.google.gson.JsonArray channels = new com.google.gson.JsonArray();
        channels.add(ch);
        channels.add(2 * ch);
        channels.add(2 * ch);
        if (model.getAsJsonArray("block_out_channels").size() == 3) {
            model.add("block_out_channels", channels);
        }
        TrainConfig cfg = base.toBuilder().setModel(model).optBatchSize(batch).build();
        String threads = System.getProperty("ai.djl.pytorch.num_threads", "default");
        try (NDManager manager = NDManager.newBaseManager()) {
            UNetTrainable net = Training.newModel(cfg, manager);
            int size = cfg.unetConfig().sampleSize();
            int c = cfg.unetConfig().inChannels();
            DiffusionTrainer trainer = DiffusionTrainer.builder(cfg, net, new FixedBatch(batch, c, size)).build();
            double[] times = new double[iters];
            for (int i = 0; i < iters + 2; i++) {
                long t0 = System.nanoTime();
                trainer.trainStep();
                if (i >= 2) {
                    times[i - 2] = (System.nanoTime() - t0) / 1e9;
                }
            }
            double med = median(times);
            System.out.printf(Locale.ROOT, "params %d batch %d threads %s median step %.0f ms -> %.1f img/s%n",
                    net.unet().numParameters(), batch, threads, med * 1000, batch / med);
            Map<DiffusionTrainer.Phase, Double> phases = trainer.phaseSeconds();
            double total = phases.values().stream().mapToDouble(Double::doubleValue).sum();
            StringBuilder sb = new StringBuilder("step profile (all iterations):");
            phases.forEach((p, s) -> sb.append(String.format(Locale.ROOT, " %s %.0f%%", p.name().toLowerCase(Locale.ROOT),
                    100 * s / total)));
            System.out.println(sb);

            net.setTraining(false);
            for (int fb : forwardBatches) {
                double[] ft = new double[iters];
                SplittableRandom r = new SplittableRandom(fb);
                for (int i = 0; i < iters + 2; i++) {
                    try (NDManager sub = manager.newSubManager()) {
                        NDArray x = NoiseSource.seeded(1).normal(sub, new Shape(fb, c, size, size), i);
                        long[] t = new long[fb];
                        Arrays.setAll(t, k -> r.nextInt(1000));
                        NDArray ts = sub.create(t);
                        long t0 = System.nanoTime();
                        NDArray out = net.forward(x, ts, null);
                        out.toFloatArray(); // wait for the result, as the peer's forward returns a ready tensor
                        if (i >= 2) {
                            ft[i - 2] = (System.nanoTime() - t0) / 1e9;
                        }
                    }
                }
                double fm = median(ft);
                System.out.printf(Locale.ROOT, "forward-only batch %d median %.0f ms -> %.1f img/s (one denoising step per image)%n",
                        fb, fm * 1000, fb / fm);
            }
        }
        return 0;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    /** The same standard-normal batch at every step, as the peer benchmarks on a fixed torch.randn batch. */
    private static final class FixedBatch implements TrainingData {
        private final int batch;
        private final int channels;
        private final int size;
        private final float[] x0;

        FixedBatch(int batch, int channels, int size) {
            this.batch = batch;
            this.channels = channels;
            this.size = size;
            x0 = new float[batch * channels * size * size];
            SplittableRandom r = new SplittableRandom(0);
            for (int i = 0; i < x0.length; i++) {
                x0[i] = (float) r.nextGaussian();
            }
        }

        @Override
        public String name() {
            return "random";
        }

        @Override
        public int channels() {
            return channels;
        }

        @Override
        public int height() {
            return size;
        }

        @Override
        public int width() {
            return size;
        }

        @Override
        public int batchSize() {
            return batch;
        }

        @Override
        public int numClasses() {
            return 0;
        }

        @Override
        public Batch batchAt(NDManager manager, long step) {
            return Batch.of(manager.create(x0, new Shape(batch, channels, size, size)), manager.create(new long[batch]), step);
        }
    }
}
