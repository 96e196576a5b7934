import ai.djl.ndarray.NDManager;
import org.diffusion4j.train.DiffusionTrainer;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.TrainableModel;
import org.diffusion4j.train.Training;
import org.diffusion4j.train.TrainingData;

/**
 * Time per training step and per phase of a preset on its own data:
 * benchmarks/java/run StepTiming PRESET BATCH STEPS [TEXT_ENCODER_DIR] (e.g. tiny 64 20, or shapes-t2i 64 5 runs/clip).
 */
public final class StepTiming {
    public static void main(String[] args) throws Exception {
        TrainConfig.Builder b = TrainConfig.preset(args[0]).toBuilder().optBatchSize(Integer.parseInt(args[1]));
        if (args.length > 3) {
            b.set(TrainConfig.Key.TEXT_ENCODER, args[3]);
        }
        TrainConfig c = b.build();
        int steps = Integer.parseInt(args[2]);
        TrainingData data = Training.batches(c, Training.openDataset(c));
        try (NDManager m = NDManager.newBaseManager()) {
            TrainableModel model = Training.newTrainable(c, m);
            System.out.println("parameters " + model.parameters().values().stream().mapToLong(a -> a.getShape().size()).sum());
            DiffusionTrainer t = DiffusionTrainer.builder(c, model, data).build();
            for (int i = 0; i < steps; i++) {
                long t0 = System.nanoTime();
                DiffusionTrainer.StepReport r = t.trainStep();
                long dt = System.nanoTime() - t0;
                System.out.printf("step %d loss %.4f %.0f ms %.1f img/s%n", i, r.loss(), dt / 1e6, c.batchSize() / (dt / 1e9));
            }
            System.out.println(t.phaseSeconds());
        }
    }
}
