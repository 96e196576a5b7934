package org.diffusion4j.data;

import java.util.Locale;

/** Which part of a named data set: the training or the test images. */
public enum Split {
    TRAIN("train"),
    TEST("t10k");

    private final String idxPrefix;

    Split(String idxPrefix) {
        this.idxPrefix = idxPrefix;
    }

    /** File name prefix of this split in the MNIST IDX naming ({@code train-…}, {@code t10k-…}). */
    public String idxPrefix() {
        return idxPrefix;
    }

    /** Parses {@code train} or {@code test} (any case; {@code t10k} is accepted for test). */
    public static Split parse(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "train": return TRAIN;
            case "test": case "t10k": return TEST;
            default: throw new IllegalArgumentException("unknown split '" + s + "'; use train or test");
        }
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
