package org.diffusion4j.data;

import ai.djl.ndarray.NDArray;

/**
 * One training batch made by {@link Batcher#batchAt}: images float32 (B, C, H, W) in [-1, 1] and
 * labels int64 (B), both in the manager passed to {@code batchAt}. Closing the batch closes both.
 */
public final class Batch implements AutoCloseable {
    private final NDArray images;
    private final NDArray labels;
    private final long step;
    private final long epoch;
    private final int[] indices;

    /**
     * A batch made elsewhere (synthetic data, a fixed benchmark batch): images float32 (B, C, H, W) and labels
     * int64 (B) of global step {@code step}; its indices are 0..B−1 and its epoch 0.
     */
    public static Batch of(NDArray images, NDArray labels, long step) {
        int b = Math.toIntExact(images.getShape().get(0));
        return new Batch(images, labels, step, 0, java.util.stream.IntStream.range(0, b).toArray());
    }

    Batch(NDArray images, NDArray labels, long step, long epoch, int[] indices) {
        this.images = images;
        this.labels = labels;
        this.step = step;
        this.epoch = epoch;
        this.indices = indices;
    }

    /** This batch (same labels, indices, step and epoch) with other images, e.g. their latents; closing it closes both. */
    public Batch withImages(NDArray other) {
        return new Batch(other, labels, step, epoch, indices);
    }

    /** float32 (B, C, H, W), pixel p mapped to p / 127.5 - 1. */
    public NDArray images() {
        return images;
    }

    /** int64 (B): class labels, or -1 for every image of an unlabeled data set. */
    public NDArray labels() {
        return labels;
    }

    /** The global step this batch belongs to. */
    public long step() {
        return step;
    }

    /** The epoch of {@link #step()}. */
    public long epoch() {
        return epoch;
    }

    /** The data set indices of the images, in batch order (a copy). */
    public int[] indices() {
        return indices.clone();
    }

    public int size() {
        return indices.length;
    }

    @Override
    public void close() {
        images.close();
        labels.close();
    }
}
