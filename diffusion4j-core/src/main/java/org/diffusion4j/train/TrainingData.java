package org.diffusion4j.train;

import ai.djl.ndarray.NDManager;
import org.diffusion4j.data.Batch;

/**
 * The training images as batches, each a pure function of the global step (and the data seed), so
 * that a resumed run sees the same batches as an uninterrupted one.
 */
public interface TrainingData {

    /** A name for messages (data set name or folder). */
    String name();

    int channels();

    int height();

    int width();

    int batchSize();

    /** The number of classes, 0 when unlabeled. */
    int numClasses();

    /** The class names indexed by label (saved as {@code id2label} in the model folder); "0", "1", … by default. */
    default java.util.List<String> classNames() {
        return java.util.stream.IntStream.range(0, numClasses()).mapToObj(Integer::toString).toList();
    }

    /**
     * The batch of global step {@code step}: images float32 (B, C, H, W) in [-1, 1] and labels
     * int64 (B) (-1 when unlabeled), created in {@code manager}.
     */
    Batch batchAt(NDManager manager, long step);

    /** The caption of data set image {@code index} (captioned data only). */
    default String caption(int index) {
        throw new UnsupportedOperationException(name() + " has no captions; a text-conditional model trains on captioned images");
    }
}
