
import ai.djl.ndarray.NDManager;
import org.diffusion4j.data.SyntheticDataset;
import org.diffusion4j.train.BatcherData;
import org.diffusion4j.train.DiffusionTrainer;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.Training;
import org.diffusion4j.train.TrainingData;
import org.diffusion4j.train.UNetTrainable;

/** Time per training step and per phase of a preset: benchmarks/java/run StepTiming PRESET BATCH STEPS (e.g. tiny 64 20). */
public final class StepTiming {
    public static void main(String[] args) throws Exception {
        TrainConfig c = TrainConfig.preset(args[0]).toBuilder().optBatchSize(Integer.parseInt(args[1])).build();
        int steps = Integer.parseInt(args[2]);
        try (NDManager m = NDManager.newBaseManager()) {
            UNetTrainable model = Training.newModel(c, m);
            System.out.println("params " + model.unet().numParameters());
            TrainingData data = BatcherData.of(SyntheticDataset.stripes(1024, 1, 28, 28, 0), c.batchSize(), 0, true);
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
