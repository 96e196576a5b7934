package org.diffusion4j.train.crash;

import org.diffusion4j.train.TrainListener;
import org.diffusion4j.train.DiffusionTrainer;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A process for {@link CheckpointWriteFailureTest}: resumes the {@link TrainingChild} run in a
 * folder, trains one step and saves a checkpoint, printing {@code SAVED <step>} or
 * {@code FAILED <message>}. Arguments: run folder, seed.
 */
public final class SaveOnceChild {

    private SaveOnceChild() {}

    public static void main(String[] args) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            DiffusionTrainer trainer = TrainingChild.trainer(manager, Path.of(args[0]), Long.parseLong(args[1]), 1000,
                    TrainListener.NONE);
            if (!trainer.resume()) {
                throw new IllegalStateException("no checkpoint to resume in " + args[0]);
            }
            trainer.trainStep();
            try {
                trainer.saveCheckpoint();
                TrainingChild.say("SAVED " + trainer.step());
            } catch (IOException e) {
                TrainingChild.say("FAILED " + e.getMessage().replace('\n', ' '));
            }
        }
    }
}
