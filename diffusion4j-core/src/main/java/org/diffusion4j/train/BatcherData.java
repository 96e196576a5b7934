package org.diffusion4j.train;

import ai.djl.ndarray.NDManager;
import org.diffusion4j.data.Batch;
import org.diffusion4j.data.Batcher;
import org.diffusion4j.data.ImageDataset;

/** An {@link ImageDataset} batched by a {@link Batcher} (batch s a pure function of (seed, s)) as {@link TrainingData}. */
public final class BatcherData implements TrainingData {

    private final Batcher batcher;

    public BatcherData(Batcher batcher) {
        this.batcher = batcher;
    }

    /** Shuffled batches of {@code batchSize}, optionally flipped left-right, seeded by {@code seed}. */
    public static BatcherData of(ImageDataset dataset, int batchSize, long seed, boolean randomFlip) {
        return new BatcherData(Batcher.builder(dataset).setBatchSize(batchSize).optSeed(seed)
                .optRandomHorizontalFlip(randomFlip).build());
    }

    public Batcher batcher() {
        return batcher;
    }

    @Override
    public String name() {
        return batcher.dataset().name();
    }

    @Override
    public int channels() {
        return batcher.dataset().channels();
    }

    @Override
    public int height() {
        return batcher.dataset().height();
    }

    @Override
    public int width() {
        return batcher.dataset().width();
    }

    @Override
    public int batchSize() {
        return batcher.batchSize();
    }

    @Override
    public int numClasses() {
        return batcher.dataset().numClasses();
    }

    @Override
    public java.util.List<String> classNames() {
        return batcher.dataset().classNames();
    }

    @Override
    public String caption(int index) {
        if (batcher.dataset() instanceof org.diffusion4j.data.CaptionedImages c) {
            return c.caption(index);
        }
        return TrainingData.super.caption(index);
    }

    @Override
    public Batch batchAt(NDManager manager, long step) {
        return batcher.batchAt(manager, step);
    }
}
