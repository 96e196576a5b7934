package org.diffusion4j.train;

import java.nio.file.Path;

/** Receives a training run's progress; the CLI renders it as a progress bar. Called on the training thread. */
public interface TrainListener {

    /** After every step (including skipped ones). */
    default void onStep(TrainProgress progress) {}

    /** A notable event: resume, fallback to an older checkpoint, a skipped step, stopping. */
    default void onMessage(String message) {}

    /** After a checkpoint has been sealed. */
    default void onCheckpoint(long step, Path dir) {}

    /** A listener that ignores everything. */
    TrainListener NONE = new TrainListener() {};
}
