package org.diffusion4j.data;

import java.util.List;

/**
 * An in-memory image data set: {@link #size()} images of one shape
 * {@link #channels()}&times;{@link #height()}&times;{@link #width()}, stored as unsigned bytes in
 * one contiguous array in NCHW order, with an optional class label per image.
 *
 * <p>Channels are 1 (gray) or 3 (RGB, in that order). Pixel {@code (n, c, y, x)} is
 * {@code pixels()[((n * channels + c) * height + y) * width + x] & 0xff}.
 */
public interface ImageDataset {
    /** A short human-readable name (data set name or source folder), for logs and errors. */
    String name();

    /** Number of images. */
    int size();

    /** 1 (gray) or 3 (RGB). */
    int channels();

    int height();

    int width();

    /** The class label of image {@code index}, in {@code [0, classNames().size())}, or -1 if unlabeled. */
    int label(int index);

    /** Whether images carry labels; if so every label is in {@code [0, numClasses())}. */
    boolean hasLabels();

    /** Class names indexed by label; empty when the data set has no labels. */
    List<String> classNames();

    /** Number of classes, {@code classNames().size()}; 0 when unlabeled. */
    default int numClasses() {
        return classNames().size();
    }

    /** Bytes per image: {@code channels * height * width}. */
    default int imageBytes() {
        return channels() * height() * width();
    }

    /**
     * All pixels, uint8, NCHW, length {@code size() * imageBytes()}. The backing array itself, not a
     * copy (Fashion-MNIST train is 47 MB): callers must not modify it.
     */
    byte[] pixels();
}
