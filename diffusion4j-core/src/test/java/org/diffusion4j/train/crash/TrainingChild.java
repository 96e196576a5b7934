package org.diffusion4j.train.crash;

import org.diffusion4j.train.SyntheticData;
import org.diffusion4j.train.DiffusionTrainerTest;
import org.diffusion4j.train.Training;
import org.diffusion4j.train.TrainProgress;
import org.diffusion4j.train.TrainListener;
import org.diffusion4j.train.TrainConfig;
import org.diffusion4j.train.DiffusionTrainer;
import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.diffusion4j.diffusers.ModelFolder;

/**
 * The process {@link SigkillResumeTest} kills: trains a small U-Net (8×8 synthetic stripes, an
 * attention block, dropout) to a step, resuming from the newest good checkpoint of its run folder
 * first, exactly as {@code diffusion4j train --resume} does. It reports on stdout, one line per
 * event, flushed before it goes on, so that the parent knows what the process had done when it
 * was killed:
 *
 * <pre>
 * FRESH | RESUMED &lt;step&gt;        after resume(): no usable checkpoint, or the step resumed at
 * MSG &lt;text&gt;                   a trainer message (e.g. a damaged checkpoint was skipped)
 * CKPT-BEGIN &lt;step&gt;             a checkpoint save of that step starts now
 * CKPT-END &lt;step&gt;               it is sealed, exported and pruned
 * DONE &lt;step&gt;                   the target step is reached
 * </pre>
 *
 * <p>Arguments: run folder, target step, checkpoint interval, seed.
 */
public final class TrainingChild {

    private TrainingChild() {}

    /** The run's config: a 2-level U-Net with attention and dropout, a log line per step, keep the last 3. */
    public static TrainConfig config(long seed, int checkpointEvery) {
        JsonObject model = DiffusionTrainerTest.smallUnetConfig();
        model.add("down_block_types", JsonParser.parseString("[\"DownBlock2D\", \"AttnDownBlock2D\"]"));
        model.add("up_block_types", JsonParser.parseString("[\"AttnUpBlock2D\", \"UpBlock2D\"]"));
        model.addProperty("dropout", 0.2);
        return DiffusionTrainerTest.configBuilder(seed).setModel(model).optBatchSize(4).optLearningRate(1e-3)
                .optCheckpointing(checkpointEvery, 3).optLogEvery(1).build();
    }

    /** A trainer of {@link #config} on synthetic stripes, writing to {@code out}. */
    static DiffusionTrainer trainer(NDManager manager, Path out, long seed, int checkpointEvery, TrainListener listener) {
        TrainConfig config = config(seed, checkpointEvery);
        return DiffusionTrainer.builder(config, Training.newModel(config, manager),
                new SyntheticData(1, DiffusionTrainerTest.SIZE, config.batchSize(), seed))
                .optOutput(new ModelFolder(out)).optListener(listener).build();
    }

    static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            throw new IllegalArgumentException("usage: TrainingChild <run folder> <target step> <checkpoint every> <seed>");
        }
        Path out = Path.of(args[0]);
        long untilStep = Long.parseLong(args[1]);
        int every = Integer.parseInt(args[2]);
        long seed = Long.parseLong(args[3]);
        TrainListener listener = new TrainListener() {
            @Override
            public void onStep(TrainProgress p) {
                if (p.step() % every == 0) { // DiffusionTrainer.train saves right after this call
                    say("CKPT-BEGIN " + p.step());
                }
            }

            @Override
            public void onMessage(String message) {
                say("MSG " + message.replace('\n', ' '));
            }

            @Override
            public void onCheckpoint(long step, Path dir) {
                say("CKPT-END " + step);
            }
        };
        try (NDManager manager = NDManager.newBaseManager()) {
            DiffusionTrainer trainer = trainer(manager, out, seed, every, listener);
            say(trainer.resume() ? "RESUMED " + trainer.step() : "FRESH");
            trainer.train(untilStep, null);
            say("DONE " + trainer.step());
        }
    }
}
